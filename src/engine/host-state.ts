/**
 * The state provision keeps on each host, behind one interface per operating system: the apply
 * lock and the ledger. Each operation is a Command, so it rides in the same batch (round trip)
 * as the probes. Linux: host-state-linux.ts; Windows: host-state-windows.ts (C:\ProgramData\provision),
 * with the same exit-code protocol.
 */
import type { CommandResult, HostCommand } from '../core/types.ts';

/** Who holds a host's apply lock, recorded on the host when it is taken. */
export interface LockHolder {
  /** user@hostname of the controller that runs the apply. */
  readonly controller: string;
  readonly pid: number;
  /** ISO 8601 time the lock was taken. */
  readonly since: string;
  /** Random id of this apply run: only the run that took a lock releases it. */
  readonly run: string;
}

/** acquireLock exits with this when someone else holds the lock (their holder JSON on stdout). */
export const LOCK_HELD_EXIT = 3;

export interface HostStateScripts<C extends HostCommand = HostCommand> {
  /** Where the lock and the ledger live, for messages. */
  readonly lockPath: string;
  readonly ledgerPath: string;
  /**
   * Take the lock for `holder` (its JSON travels on stdin). Exit 0: taken (or already held by
   * the same run); LOCK_HELD_EXIT: held by another run, whose holder JSON is printed; other: failure.
   */
  acquireLock(holder: LockHolder): C;
  /** Release the lock if `run` holds it; exit 0 also when it is not held or held by another run. */
  releaseLock(run: string): C;
  /** Remove the lock whoever holds it (provision unlock); prints the removed holder JSON, if any. */
  breakLock(): C;
  /** Print the ledger JSON; print nothing (exit 0) when there is none yet. */
  readLedger(): C;
  /** Replace the ledger atomically (temp file + rename), readable by root only. */
  writeLedger(json: string): C;
}

export type LockAttempt = { readonly taken: true } | { readonly taken: false; readonly holder: LockHolder | null; readonly raw: string };

/** Interprets acquireLock's result; throws with the host's stderr when the lock could not be tried at all. */
export function parseLockAttempt(r: CommandResult): LockAttempt {
  if (r.code === 0) return { taken: true };
  const raw = r.stdout.toString('utf8').trim();
  if (r.code !== LOCK_HELD_EXIT) throw new Error(`taking the lock failed with exit code ${r.code}: ${r.stderr.toString('utf8').trim() || raw}`);
  return { taken: false, holder: parseHolder(raw), raw };
}

export function parseHolder(raw: string): LockHolder | null {
  try {
    const v = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof v.controller === 'string' && typeof v.pid === 'number' && typeof v.since === 'string' && typeof v.run === 'string') {
      return { controller: v.controller, pid: v.pid, since: v.since, run: v.run };
    }
  } catch {
    // An empty or half-written holder file: the lock is being taken right now, or its taker died.
  }
  return null;
}

export function describeHolder(holder: LockHolder | null): string {
  if (!holder) return 'an apply whose holder record is missing or unreadable (it was being taken, or its taker died)';
  return `${holder.controller} (pid ${holder.pid}) since ${holder.since}`;
}
