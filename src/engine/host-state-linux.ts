/**
 * The lock and the ledger on a Linux host, as POSIX sh. The lock is a directory (mkdir is atomic
 * on every local file system) holding holder.json; the ledger is one JSON file replaced by rename.
 * Both live in /var/lib/provision by default. That directory stays 0755: services keep their own
 * state below it (a respawn wrapper running as the service's user writes its pid file there), so
 * secrecy comes from the entries themselves: the lock directory is 0700, the ledger file 0600.
 */
import type { Command } from '../core/types.ts';
import { LOCK_HELD_EXIT, type HostStateScripts, type LockHolder } from './host-state.ts';

export const DEFAULT_LINUX_STATE_DIR = '/var/lib/provision';

const ACQUIRE = [
  'd=$1; run=$2',
  'mkdir -p -- "${d%/*}" || exit 4',
  'if mkdir -m 0700 -- "$d" 2>/dev/null; then',
  '  cat >"$d/holder.json" || { rm -rf -- "$d"; exit 4; }',
  '  exit 0',
  'fi',
  // The same run asking again (a reconnect) already holds it.
  'if grep -qF "\\"run\\":\\"$run\\"" "$d/holder.json" 2>/dev/null; then exit 0; fi',
  'cat "$d/holder.json" 2>/dev/null',
  `exit ${LOCK_HELD_EXIT}`,
].join('\n');

const RELEASE = [
  'd=$1; run=$2',
  '[ -d "$d" ] || exit 0',
  'grep -qF "\\"run\\":\\"$run\\"" "$d/holder.json" 2>/dev/null || exit 0',
  'rm -rf -- "$d"',
].join('\n');

const BREAK = ['d=$1', '[ -d "$d" ] || exit 0', 'cat "$d/holder.json" 2>/dev/null', 'rm -rf -- "$d"'].join('\n');

const READ_LEDGER = ['f=$1', '[ -e "$f" ] || exit 0', 'cat -- "$f"'].join('\n');

const WRITE_LEDGER = [
  'f=$1; d=${f%/*}',
  'mkdir -p -- "$d" || exit 1',
  'umask 077',
  // mv would move the new ledger into a directory of that name instead of replacing it.
  'if [ -d "$f" ]; then echo "$f is a directory, not the ledger file" >&2; exit 1; fi',
  't=$(mktemp "$d/.ledger.XXXXXX") || exit 1',
  'if cat >"$t" && chmod 0600 "$t" && mv -f -- "$t" "$f"; then exit 0; fi',
  'rm -f -- "$t"',
  'exit 1',
].join('\n');

export function linuxHostState(stateDir: string = DEFAULT_LINUX_STATE_DIR): HostStateScripts<Command> {
  const lockPath = `${stateDir}/lock`;
  const ledgerPath = `${stateDir}/ledger.json`;
  return {
    lockPath,
    ledgerPath,
    acquireLock: (holder: LockHolder): Command => ({ argv: ['sh', '-c', ACQUIRE, 'sh', lockPath, holder.run], stdin: JSON.stringify(holder), label: `take the apply lock ${lockPath}` }),
    releaseLock: (run: string): Command => ({ argv: ['sh', '-c', RELEASE, 'sh', lockPath, run], label: `release the apply lock ${lockPath}` }),
    breakLock: (): Command => ({ argv: ['sh', '-c', BREAK, 'sh', lockPath], label: `remove the apply lock ${lockPath}` }),
    readLedger: (): Command => ({ argv: ['sh', '-c', READ_LEDGER, 'sh', ledgerPath], label: `read the ledger ${ledgerPath}` }),
    writeLedger: (json: string): Command => ({ argv: ['sh', '-c', WRITE_LEDGER, 'sh', ledgerPath], stdin: json, label: `write the ledger ${ledgerPath}` }),
  };
}
