/**
 * The common restart policy mapped onto each Windows method's own recovery settings, and the
 * SCM's FailureActions registry value decoded. One policy, three mappings:
 * - SCM: failure actions (restart after a delay, the last one repeating), a reset period, and
 *   the flag that makes a non-zero exit a failure (FailureActionsOnNonCrashFailures);
 * - NSSM: AppExit (Restart/Exit per exit code), AppRestartDelay and AppThrottle;
 * - Task Scheduler: RestartCount and RestartInterval (at least one minute).
 */
import { settings, type ServiceDesired } from '../schema.ts';

export type ScmActionType = 'none' | 'restart' | 'reboot' | 'run';
export interface ScmAction {
  readonly type: ScmActionType;
  /** Milliseconds. */
  readonly delay: number;
}
export interface ScmRecovery {
  /** Seconds without failure after which the failure count starts again. */
  readonly reset: number;
  readonly actions: readonly ScmAction[];
  readonly on_non_crash: boolean;
}

const TYPES: readonly ScmActionType[] = ['none', 'restart', 'reboot', 'run'];
/** Enough actions to show a backoff; the last one repeats for every later failure. */
const MAX_ACTIONS = 8;
/** The SCM keeps one action per restart: a start limit above this is refused (or capped). */
export const MAX_SCM_BURST = 64;
export const DEFAULT_RESET = 86400;

/**
 * The FailureActions REG_BINARY (SERVICE_FAILURE_ACTIONS as stored): u32le reset period, two
 * unused pointer slots, u32le action count, u32le offset of the actions (0x14), then
 * {u32le type, u32le delay ms} per action.
 */
export function decodeFailureActions(data: Buffer): { reset: number; actions: ScmAction[] } {
  if (data.length < 20) throw new Error(`FailureActions is ${data.length} bytes, shorter than its 20-byte header`);
  const reset = data.readUInt32LE(0);
  const count = data.readUInt32LE(12);
  const offset = data.readUInt32LE(16) || 20;
  if (offset + count * 8 > data.length) throw new Error(`FailureActions announces ${count} actions at offset ${offset} but holds ${data.length} bytes`);
  const actions: ScmAction[] = [];
  for (let i = 0; i < count; i++) {
    const type = data.readUInt32LE(offset + i * 8);
    actions.push({ type: TYPES[type] ?? 'none', delay: data.readUInt32LE(offset + i * 8 + 4) });
  }
  return { reset, actions };
}

/** The inverse (for fixtures and tests): what the SCM writes for `sc.exe failure`. */
export function encodeFailureActions(reset: number, actions: readonly ScmAction[]): Buffer {
  const b = Buffer.alloc(20 + actions.length * 8);
  b.writeUInt32LE(reset, 0);
  b.writeUInt32LE(actions.length, 12);
  b.writeUInt32LE(20, 16);
  actions.forEach((a, i) => {
    b.writeUInt32LE(TYPES.indexOf(a.type), 20 + i * 8);
    b.writeUInt32LE(a.delay, 24 + i * 8);
  });
  return b;
}

/** Restart delays in ms: fixed, or doubling up to backoff.max_delay. */
function delays(d: ServiceDesired, count: number, defaultDelay: number): number[] {
  const first = (settings(d).delay ?? defaultDelay) * 1000;
  const max = d.restart?.backoff ? d.restart.backoff.max_delay * 1000 : first;
  const out: number[] = [];
  let cur = first;
  for (let i = 0; i < count; i++) {
    out.push(Math.round(Math.min(cur, max)));
    cur = Math.max(cur * 2, 1000);
  }
  return out;
}

/** How many restarts a growing delay needs to reach its maximum (then the last action repeats). */
function backoffLength(d: ServiceDesired): number {
  const b = d.restart?.backoff;
  if (!b) return 3;
  const first = Math.max((settings(d).delay ?? 1) * 1000, 1);
  let n = 1;
  for (let cur = first; cur < b.max_delay * 1000 && n < MAX_ACTIONS; cur *= 2) n++;
  return Math.max(n, 3);
}

export function scmRecovery(d: ServiceDesired): ScmRecovery {
  const s = settings(d);
  if (s.policy === 'never') return { reset: 0, actions: [], on_non_crash: false };
  const limit = d.restart?.start_limit;
  const n = limit ? Math.min(limit.burst, MAX_SCM_BURST) : backoffLength(d);
  const actions: ScmAction[] = delays(d, n, 1).map((delay) => ({ type: 'restart', delay }));
  // After `burst` failures within the reset period the service stays down: a final "none" repeats.
  if (limit) actions.push({ type: 'none', delay: 0 });
  return { reset: limit ? limit.interval : DEFAULT_RESET, actions, on_non_crash: true };
}

/** Actions that do nothing are no recovery at all: [] and [none] are the same. */
export function normaliseActions(actions: readonly ScmAction[]): ScmAction[] {
  return actions.every((a) => a.type === 'none') ? [] : actions.map((a) => ({ type: a.type, delay: a.type === 'none' ? 0 : a.delay }));
}

export const actionsText = (actions: readonly ScmAction[]): string => normaliseActions(actions).map((a) => `${a.type}/${a.delay}`).join(' ') || 'none';

/** sc.exe failure's actions= argument. */
export const scActionsArg = (actions: readonly ScmAction[]): string => (actions.length === 0 ? 'none/0' : actions.map((a) => `${a.type}/${a.delay}`).join('/'));

export type NssmExitAction = 'Restart' | 'Ignore' | 'Exit' | 'Suicide';
export interface NssmRestart {
  /** AppExit: "Default" and one entry per exit code. */
  readonly exit: Readonly<Record<string, NssmExitAction>>;
  readonly restart_delay: number;
  readonly throttle: number;
}

/** NSSM's default: a run shorter than 1500 ms counts as a failed start and restarts are throttled. */
export const NSSM_THROTTLE = 1500;

export function nssmRestart(d: ServiceDesired, overrides: Readonly<Record<string, NssmExitAction>> = {}): NssmRestart {
  const s = settings(d);
  const base: Record<string, NssmExitAction> = s.policy === 'never' ? { Default: 'Exit' } : s.policy === 'always' ? { Default: 'Restart' } : { Default: 'Restart', '0': 'Exit' };
  const b = d.restart?.backoff;
  return {
    exit: { ...base, ...overrides },
    restart_delay: Math.round((s.delay ?? 1) * 1000),
    throttle: b ? Math.round(b.max_delay * 1000) : NSSM_THROTTLE,
  };
}

export interface TaskRestart {
  readonly count: number;
  /** Seconds; Task Scheduler accepts one minute to 31 days. */
  readonly interval: number;
}

export const TASK_MIN_INTERVAL = 60;

export function taskRestart(d: ServiceDesired): TaskRestart {
  const s = settings(d);
  if (s.policy === 'never') return { count: 0, interval: 0 };
  return { count: d.restart?.start_limit?.burst ?? 3, interval: Math.max(s.delay ?? TASK_MIN_INTERVAL, TASK_MIN_INTERVAL) };
}
