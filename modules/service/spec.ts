/**
 * The spec file of a service run by the respawn wrapper (methods sysv and cron-reboot):
 * /etc/provision/service/<name>.conf, sourced by the wrapper. Every value is written with the one
 * audited quoting function (shQuote) and read back by a parser of exactly that output, so the
 * file is both data for the wrapper and the state the plan compares with.
 */
import { shQuote } from '../../src/core/shell.ts';
import type { JsonValue } from '../../src/core/types.ts';
import { HEADER } from '../systemd_service/schema.ts';

export const SPEC_DIR = '/etc/provision/service';
export const STATE_DIR = '/var/lib/provision/service';
export const specPath = (name: string): string => `${SPEC_DIR}/${name}.conf`;
export const stateDir = (name: string): string => `${STATE_DIR}/${name}`;
export const pidPath = (name: string): string => `${STATE_DIR}/${name}/pid`;

/** The spec as flat attributes (the names the plan shows). */
export interface SpecModel {
  readonly command: readonly string[];
  readonly user?: string;
  readonly group?: string;
  readonly working_directory?: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly 'log.destination': 'journal' | 'files';
  readonly 'log.directory'?: string;
  readonly 'restart.policy': 'always' | 'on-failure' | 'never';
  readonly 'restart.delay': number;
  readonly 'restart.max_delay'?: number;
  readonly 'restart.burst': number;
  readonly 'restart.interval': number;
}

const VARS: readonly [string, keyof SpecModel][] = [
  ['SVC_USER', 'user'],
  ['SVC_GROUP', 'group'],
  ['SVC_DIR', 'working_directory'],
  ['SVC_LOG', 'log.destination'],
  ['SVC_LOG_DIR', 'log.directory'],
  ['SVC_RESTART', 'restart.policy'],
  ['SVC_DELAY', 'restart.delay'],
  ['SVC_MAX_DELAY', 'restart.max_delay'],
  ['SVC_BURST', 'restart.burst'],
  ['SVC_INTERVAL', 'restart.interval'],
];
const NUMERIC_ATTRS = new Set<string>(['restart.delay', 'restart.max_delay', 'restart.burst', 'restart.interval']);

const num = (n: number): string => String(Math.round(n * 1e6) / 1e6);

export function renderSpec(name: string, m: SpecModel): string {
  const lines = [HEADER, `SVC_NAME=${shQuote(name)}`, `SVC_PIDFILE=${shQuote(pidPath(name))}`];
  for (const [v, attr] of VARS) {
    const value = m[attr];
    if (value === undefined) continue;
    lines.push(`${v}=${shQuote(typeof value === 'number' ? num(value) : String(value))}`);
  }
  lines.push('svc_run() {');
  for (const [k, v] of Object.entries(m.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) lines.push(`export ${k}=${shQuote(v)}`);
  lines.push(`exec "$@" ${m.command.map(shQuote).join(' ')}`, '}', '');
  return lines.join('\n');
}

/** Words as shQuote writes them: bare safe characters, '...' runs and \' between them. */
export function splitShWords(text: string): string[] | null {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ' ') {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return null;
      cur = (cur ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return null;
      cur = (cur ?? '') + text[i + 1];
      i++;
    } else if (/[A-Za-z0-9_@%+=:,./-]/.test(c)) {
      cur = (cur ?? '') + c;
    } else {
      return null;
    }
  }
  if (cur !== null) words.push(cur);
  return words;
}

/** The spec file back as flat attributes; lines it cannot read come back in `unmanaged`. */
export function parseSpec(text: string): { model: Record<string, JsonValue>; unmanaged: string[] } {
  const model: Record<string, JsonValue> = {};
  const env: Record<string, string> = {};
  const unmanaged: string[] = [];
  const byVar = new Map(VARS);
  // Lines are split on "\n" outside quotes only: a value may hold a newline inside '...'.
  const logical: string[] = [];
  let acc = '';
  let quoted = false;
  let escaped = false;
  for (const ch of text) {
    if (escaped) escaped = false;
    else if (ch === '\\' && !quoted) escaped = true;
    else if (ch === "'") quoted = !quoted;
    if (ch === '\n' && !quoted && !escaped) {
      logical.push(acc);
      acc = '';
    } else acc += ch;
  }
  if (acc !== '') logical.push(acc);
  for (const line of logical) {
    if (line === '' || line === HEADER || line === 'svc_run() {' || line === '}' || line.startsWith('SVC_NAME=') || line.startsWith('SVC_PIDFILE=')) continue;
    let m = /^(SVC_[A-Z_]+)=(.*)$/s.exec(line);
    const attr = m ? byVar.get(m[1] as string) : undefined;
    if (m && attr) {
      const w = splitShWords(m[2] as string);
      if (w?.length === 1) {
        model[attr] = NUMERIC_ATTRS.has(attr) && /^[0-9.]+$/.test(w[0] as string) ? Number(w[0]) : (w[0] as string);
        continue;
      }
    }
    m = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(line);
    if (m) {
      const w = splitShWords(m[2] as string);
      if (w?.length === 1) {
        env[m[1] as string] = w[0] as string;
        continue;
      }
    }
    if (line.startsWith('exec "$@" ')) {
      const w = splitShWords(line.slice('exec "$@" '.length));
      if (w && w.length > 0) {
        model['command'] = w;
        continue;
      }
    }
    unmanaged.push(line);
  }
  for (const [k, v] of Object.entries(env)) model[`environment.${k}`] = v;
  return { model, unmanaged };
}

/** The spec model flattened like parseSpec's output. */
export function flatSpec(m: SpecModel): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { command: [...m.command] };
  for (const [, attr] of VARS) {
    const v = m[attr];
    if (v !== undefined) out[attr] = v as JsonValue;
  }
  for (const [k, v] of Object.entries(m.environment)) out[`environment.${k}`] = v;
  return out;
}
