/**
 * What windows-service and nssm share: the SCM side of a registration (display name,
 * description, start mode, dependencies, account, password, state), diffed attribute by attribute
 * and applied by one configure script (only the changed fields travel in its input).
 */
import type { AttributeChange, JsonValue } from '../../../src/core/types.ts';
import { settings, type ServiceDesired } from '../schema.ts';
import type { ScmState, WindowsServiceCurrent } from './read.ts';
import type { StartMode } from './schema.ts';
import { passwordDue, serviceRecord } from './fingerprint.ts';
import { knownSid, sameAccount } from './sid.ts';

export const DEFAULT_ACCOUNT = 'LocalSystem';
/** Shown instead of a password: the plan says it will be set, never what it is. */
export const PASSWORD_SET = 'set on apply';
/** Before: a password provision cannot read back (nor its fingerprint match). */
export const PASSWORD_UNKNOWN = 'differs or unknown';

export const desiredAccount = (d: ServiceDesired): string => d.windows?.account ?? DEFAULT_ACCOUNT;

export function desiredStartMode(d: ServiceDesired): StartMode {
  return d.windows?.start_mode ?? (settings(d).enabled ? 'auto' : 'manual');
}

export function currentStartMode(scm: ScmState): string {
  if (scm.start === 2) return scm.delayed === 1 ? 'delayed-auto' : 'auto';
  return ({ 0: 'boot', 1: 'system', 3: 'manual', 4: 'disabled' } as Record<number, string>)[scm.start] ?? `start ${scm.start}`;
}

/** sc.exe config start= values. */
export const scStart = (m: StartMode): string => (m === 'manual' ? 'demand' : m);

export const accountSid = (name: string, c: WindowsServiceCurrent): string | null => knownSid(name) ?? c.sids[name] ?? null;

const setEqual = (a: readonly string[], b: readonly string[]): boolean => {
  const x = new Set(a.map((v) => v.toLowerCase()));
  const y = new Set(b.map((v) => v.toLowerCase()));
  return x.size === y.size && [...x].every((v) => y.has(v));
};

/** The SCM's service state as running/stopped (a pending start counts as running). */
export const scmRunning = (scm: ScmState): boolean => scm.status === 'Running' || scm.status === 'StartPending';

/** Changes of the SCM-level attributes; `scm` null means the service is created. */
export function scmChanges(d: ServiceDesired, c: WindowsServiceCurrent, scm: ScmState | null): AttributeChange[] {
  const w = d.windows ?? {};
  const out: AttributeChange[] = [];
  const add = (attribute: string, before: JsonValue | undefined, after: JsonValue | undefined): void => {
    out.push({ attribute, before, after });
  };
  const displayName = w.display_name ?? d.name;
  const start = desiredStartMode(d);
  const deps = w.dependencies ?? [];
  const account = desiredAccount(d);
  if (scm === null) {
    add('windows.display_name', undefined, displayName);
    if (d.description !== undefined) add('description', undefined, d.description);
    add('windows.start_mode', undefined, start);
    if (deps.length > 0) add('windows.dependencies', undefined, [...deps]);
    add('windows.account', undefined, account);
    if (passwordDue(d, true, false, null)) add('windows.password', undefined, PASSWORD_SET);
    return out;
  }
  if (scm.display_name !== displayName) add('windows.display_name', scm.display_name, displayName);
  if (d.description !== undefined && scm.description !== d.description) add('description', scm.description, d.description);
  const mode = currentStartMode(scm);
  if (mode !== start) add('windows.start_mode', mode, start);
  if (!setEqual(scm.dependencies, deps)) add('windows.dependencies', [...scm.dependencies], [...deps]);
  const accountChanged = !sameAccount(account, accountSid(account, c), scm.account, scm.account_sid);
  if (accountChanged) add('windows.account', scm.account, account);
  if (passwordDue(d, false, accountChanged, c.passwords[serviceRecord(d)])) add('windows.password', PASSWORD_UNKNOWN, PASSWORD_SET);
  return out;
}

export function stateChange(d: ServiceDesired, scm: ScmState | null): AttributeChange[] {
  const want = settings(d).state;
  const running = scm !== null && scmRunning(scm);
  if (scm !== null && running === (want === 'running')) return [];
  return [{ attribute: 'state', before: scm === null ? undefined : running ? 'running' : scm.status.toLowerCase(), after: want }];
}

/** The configure script's input for the SCM-level changes among `changes`. */
export function scmConfigInput(d: ServiceDesired, changes: readonly AttributeChange[]): Record<string, JsonValue> {
  const w = d.windows ?? {};
  const has = (a: string): boolean => changes.some((ch) => ch.attribute === a);
  const input: Record<string, JsonValue> = {};
  if (has('windows.display_name')) input['display_name'] = w.display_name ?? d.name;
  if (has('description')) input['description'] = d.description ?? '';
  if (has('windows.start_mode')) input['start'] = scStart(desiredStartMode(d));
  if (has('windows.dependencies')) input['dependencies'] = [...(w.dependencies ?? [])];
  if (has('windows.account') || has('windows.password')) input['account'] = { name: desiredAccount(d), password: w.password ?? '' };
  return input;
}
