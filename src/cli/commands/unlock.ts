/**
 * `provision unlock HOST...`: removes the apply lock a dead run left behind (its controller
 * crashed, was killed, or a host timed out mid-apply). It prints who held the lock so the
 * operator can check that run is really gone.
 */
import { formatDiagnostic } from '../../config/diagnostics.ts';
import { defaultInventory, loadInventory, selectHosts, type InventoryHost } from '../../config/inventory.ts';
import type { HostWork } from '../../config/playbook.ts';
import { errorOf, retryPolicyFor } from '../../engine/fleet.ts';
import { hostStateFor } from '../../engine/host-snapshot.ts';
import { describeHolder, parseHolder } from '../../engine/host-state.ts';
import { runBatch } from '../../engine/read-host.ts';
import { withRetries } from '../../engine/retry.ts';
import { transportFor } from '../../transport/factory.ts';

function workFor(host: InventoryHost): HostWork {
  return { host, graph: { order: [], edges: [], notifiedBy: new Map() }, secrets: [], prune: false };
}

export async function runUnlock(opts: { hosts: readonly string[]; inventory?: string }): Promise<number> {
  let inventory = defaultInventory();
  if (opts.inventory) {
    const loaded = loadInventory(opts.inventory);
    for (const d of loaded.diagnostics) console.error(formatDiagnostic(d));
    if (!loaded.inventory) return 1;
    inventory = loaded.inventory;
  }
  const selected = selectHosts(inventory, opts.hosts);
  if (selected.unknown.length > 0) {
    console.error(`provision: ${selected.unknown.join(', ')}: neither a host nor a group of ${inventory.origin}`);
    return 1;
  }
  let failed = 0;
  for (const name of selected.hosts) {
    const work = workFor(inventory.hosts.get(name) as InventoryHost);
    const scripts = hostStateFor(work);
    const transport = transportFor(work.host);
    try {
      await withRetries(retryPolicyFor(work), () => transport.connect());
      const r = (await runBatch(transport, work, [{ id: 'break', command: scripts.breakLock() }], false, 'apply')).get('break');
      if (!r || r.code !== 0) throw new Error(`removing ${scripts.lockPath} failed${r ? `: ${r.stderr.toString('utf8').trim()}` : ''}`);
      const raw = r.stdout.toString('utf8').trim();
      console.log(raw ? `${name}: removed the lock held by ${describeHolder(parseHolder(raw))}` : `${name}: was not locked`);
    } catch (e) {
      failed++;
      const err = errorOf(work, e);
      console.error(`${name}: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`);
    } finally {
      await transport.close().catch(() => undefined);
    }
  }
  return failed > 0 ? 1 : 0;
}
