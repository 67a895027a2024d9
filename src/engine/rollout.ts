/**
 * Rolling applies: hosts in batches (`--serial N` or `N%`), and the rule that stops starting
 * new batches once too many hosts failed (`--max-fail-percent P`). Pure arithmetic, no hosts.
 */

export type Serial = { readonly count: number } | { readonly percent: number };

/** "2" or "25%"; undefined for anything else (the CLI turns that into a usage error). */
export function parseSerial(text: string): Serial | undefined {
  const m = /^\s*(\d+)\s*(%?)\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2]) return n >= 1 && n <= 100 ? { percent: n } : undefined;
  return n >= 1 ? { count: n } : undefined;
}

/** Hosts per batch: a percentage of the fleet rounds down, but a batch has at least one host. */
export function batchSize(serial: Serial | undefined, hosts: number): number {
  if (!serial) return Math.max(1, hosts);
  if ('count' in serial) return serial.count;
  return Math.max(1, Math.floor((hosts * serial.percent) / 100));
}

/** The hosts in order, cut into consecutive batches. */
export function batches<T>(items: readonly T[], serial: Serial | undefined): T[][] {
  const size = batchSize(serial, items.length);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * After a batch: true when the failed hosts are more than `maxFailPercent` of the hosts
 * attempted so far (Ansible's max_fail_percentage: strictly more than). Without a limit, never.
 */
export function tooManyFailed(failed: number, attempted: number, maxFailPercent: number | undefined): boolean {
  if (maxFailPercent === undefined || attempted === 0) return false;
  return failed * 100 > maxFailPercent * attempted;
}
