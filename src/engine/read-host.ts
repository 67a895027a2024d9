/**
 * Reads a host in one round trip: the facts probe and every resource's probe go into one
 * batched script; each module's pure parser and diff then run on the controller.
 */
import type { HostWork } from '../config/playbook.ts';
import type { ResourceInstance } from '../config/resource.ts';
import { digest } from '../core/json.ts';
import { isPowerShell, type Command, type CommandResult, type DiffResult, type HostCommand, type HostFacts, type PowerShellCommand } from '../core/types.ts';
import type { Transport } from '../transport/transport.ts';
import { HostError } from './errors.ts';
import { scrub } from './redact.ts';
import { buildPowerShellBatch, newPowerShellNonce, parsePowerShellBatchOutput } from './powershell-batch.ts';
import { buildBatchScript, newNonce, parseBatchOutput } from './remote-script.ts';

/** One step of a batch, in the host's language. */
export interface HostStep {
  readonly id: string;
  readonly command: HostCommand;
}

export interface ResourceState {
  readonly resource: ResourceInstance;
  readonly current: unknown;
  readonly diff: DiffResult;
  /** Digest of the parsed current state: a saved plan is stale when it differs. */
  readonly currentDigest: string;
}

export interface HostState {
  readonly facts: HostFacts;
  /** In dependency order. */
  readonly resources: readonly ResourceState[];
  /** Results of the extra steps given to readHost (lock, ledger), by step id. */
  readonly extra: ReadonlyMap<string, CommandResult>;
}

const FACTS: Command = {
  argv: ['sh', '-c', 'id -u; uname -s; systemctl --version 2>/dev/null | sed -n "1s/^systemd \\([0-9]*\\).*/\\1/p"; cat /proc/1/comm 2>/dev/null'],
  label: 'read host facts',
};

export const WINDOWS_FACTS: PowerShellCommand = {
  label: 'read host facts',
  input: null,
  powershell: {
    name: 'engine/facts',
    text: [
      '$id = [Security.Principal.WindowsIdentity]::GetCurrent()',
      '$admin = ([Security.Principal.WindowsPrincipal]$id).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)',
      'return [ordered]@{ os = \'windows\'; ps_version = [string]$PSVersionTable.PSVersion; os_version = [string][Environment]::OSVersion.Version; computer_name = [string]$env:COMPUTERNAME; is_admin = [bool]$admin }',
    ].join('\n'),
  },
};

export function parseWindowsFacts(r: CommandResult): HostFacts {
  if (r.code !== 0) throw new Error(r.stderr.toString('utf8'));
  const f = JSON.parse(r.stdout.toString('utf8')) as { ps_version?: unknown; os_version?: unknown; computer_name?: unknown; is_admin?: unknown };
  return {
    os: 'windows',
    uid: f.is_admin === true ? 0 : -1,
    systemdVersion: null,
    windows: { psVersion: String(f.ps_version ?? ''), osVersion: String(f.os_version ?? ''), computerName: String(f.computer_name ?? ''), isAdmin: f.is_admin === true },
  };
}

export function parseFacts(r: CommandResult): HostFacts {
  const [uid = '', kernel = '', version = '', pid1 = ''] = r.stdout.toString('utf8').split('\n');
  const systemd = pid1.trim() === 'systemd' && /^\d+$/.test(version.trim()) ? Number(version.trim()) : null;
  return { os: kernel.trim() === 'Linux' ? 'linux' : 'linux', uid: Number(uid.trim()), systemdVersion: systemd };
}

/** Runs a batch on a host and returns each step's result, mapping transport failures to HostErrors. */
export async function runBatch(transport: Transport, work: HostWork, steps: readonly HostStep[], stopOnFailure: boolean, phase: 'read' | 'apply' | 'verify'): Promise<Map<string, CommandResult>> {
  const powershell = transport.shell === 'powershell';
  for (const step of steps) {
    if (isPowerShell(step.command) !== powershell) {
      throw new HostError(work.host.name, `"${step.command.label}" is ${powershell ? 'a Linux' : 'a Windows'} command but the host speaks ${transport.shell}`, {
        phase,
        hint: powershell ? 'this resource kind or method is for Linux hosts; limit the play to Linux hosts' : 'this resource kind or method is for Windows hosts; set connection.transport: winrm (or shell: powershell) for Windows hosts',
      });
    }
  }
  const nonce = powershell ? newPowerShellNonce() : newNonce();
  const script = powershell
    ? buildPowerShellBatch(steps.map((s) => ({ id: s.id, command: s.command as PowerShellCommand })), { stopOnFailure }, nonce)
    : buildBatchScript(steps.map((s) => ({ id: s.id, command: s.command as Command })), { stopOnFailure }, nonce);
  const result = await transport.runScript(script);
  const stderr = scrub(result.stderr.toString('utf8').trim(), work.secrets);
  if (result.code !== 0) {
    const hint = powershell ? 'the host needs Windows PowerShell 5.1 or PowerShell 7 and a user allowed to run it' : 'the host needs a POSIX sh, mktemp, base64 and wc; check the login user can run them';
    throw new HostError(work.host.name, `the remote shell exited with ${result.code}${stderr ? `: ${stderr}` : ''}`, { phase, hint });
  }
  try {
    return powershell ? parsePowerShellBatchOutput(result.stdout, nonce) : parseBatchOutput(result.stdout, nonce);
  } catch (e) {
    throw new HostError(work.host.name, `unreadable output from the host (${(e as Error).message})${stderr ? `; stderr: ${stderr}` : ''}`, { phase, hint: 'a login script that prints to stdout (e.g. in ~/.bashrc) corrupts the output; make it quiet for non-interactive shells' });
  }
}

/** `extra` steps (the apply lock, the ledger) run after the facts and before the probes, in the same round trip. */
export async function readHost(transport: Transport, work: HostWork, phase: 'read' | 'verify' = 'read', extra: readonly HostStep[] = []): Promise<HostState> {
  const resources = work.graph.order;
  const windows = transport.shell === 'powershell';
  const steps: HostStep[] = [{ id: 'facts', command: windows ? WINDOWS_FACTS : FACTS }, ...extra, ...resources.map((r, i) => ({ id: `p${i}`, command: r.module.probe(r.desired) }))];
  const results = await runBatch(transport, work, steps, false, phase);
  const factsResult = results.get('facts');
  if (!factsResult) throw new HostError(work.host.name, 'the host returned no facts', { phase });
  let facts: HostFacts;
  try {
    facts = windows ? parseWindowsFacts(factsResult) : parseFacts(factsResult);
  } catch (e) {
    throw new HostError(work.host.name, `cannot read the host's facts: ${(e as Error).message}`, { phase });
  }
  return {
    facts,
    extra: new Map(extra.flatMap((s) => { const r = results.get(s.id); return r ? [[s.id, r] as const] : []; })),
    resources: resources.map((resource, i) => {
      const r = results.get(`p${i}`);
      if (!r) throw new HostError(work.host.name, `no output for ${resource.address}`, { phase, resource: resource.address });
      let current: unknown;
      try {
        current = resource.module.parse(r, resource.desired, facts);
      } catch (e) {
        const detail = scrub(`${(e as Error).message}; probe exit ${r.code}: ${r.stderr.toString('utf8').trim()}`, work.secrets);
        throw new HostError(work.host.name, `cannot read ${resource.address}: ${detail}`, { phase, resource: resource.address });
      }
      return { resource, current, diff: resource.module.diff(resource.desired, current), currentDigest: digest(resource.module.stableState ? resource.module.stableState(current) : current) };
    }),
  };
}
