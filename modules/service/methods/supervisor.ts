/**
 * Method `supervisor`: a program file /etc/supervisor/conf.d/<name>.conf (root-only: it holds the
 * environment), activated with `supervisorctl reread` + `update`. supervisor runs the program as
 * the run account and restarts it itself (autorestart, startretries, startsecs).
 */
import type { AttributeChange, Command, JsonValue } from '../../../src/core/types.ts';
import { REMOVED_VALUE } from '../../systemd_service/diff.ts';
import { HEADER } from '../../systemd_service/schema.ts';
import { writeFile, type Driver } from '../common.ts';
import { SUPERVISOR_DIR, type ServiceCurrent } from '../probe.ts';
import { settings, type ServiceDesired } from '../schema.ts';

export const CONF_MODE = '0600';
export const confPath = (name: string): string => `${SUPERVISOR_DIR}/${name}.conf`;
const SUP_HEADER = HEADER.replace(/^#/, ';');

/** One argument as shlex.split (POSIX mode) reads it back; "%" is doubled later for supervisor's expansion. */
export function shlexQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'"'"'`)}'`;
}

/** shlex.split in POSIX mode (what supervisor uses for command=). */
export function shlexSplit(text: string): string[] | null {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return null;
      cur = (cur ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let w = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++;
        w += text[j];
      }
      if (j >= text.length) return null;
      cur = (cur ?? '') + w;
      i = j;
    } else if (c === '\\') {
      cur = (cur ?? '') + (text[i + 1] ?? '');
      i++;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== null) words.push(cur);
  return words;
}

const pct = (s: string): string => s.replace(/%/g, '%%');
const unpct = (s: string): string => s.replace(/%%/g, '%');

/** supervisor's environment= is read by a non-POSIX shlex and stripped of quotes: pick the quote the value lacks. */
function envValue(v: string): string {
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

export function parseEnvironment(raw: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|'([^']*)')(?:,|$)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(raw)) !== null) {
    out[m[1] as string] = unpct(m[2] ?? m[3] ?? '');
    last = re.lastIndex;
  }
  return last === raw.length ? out : null;
}

/** The program section as key -> raw value, in file order. */
export function supervisorKeys(d: ServiceDesired): [string, string][] {
  const s = settings(d);
  const multi = s.numprocs > 1;
  const keys: [string, string][] = [['command', pct((d.command ?? []).map(shlexQuote).join(' '))]];
  if (d.user !== undefined) keys.push(['user', d.user]);
  if (d.working_directory !== undefined) keys.push(['directory', pct(d.working_directory)]);
  const env = Object.entries(s.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (env.length > 0) keys.push(['environment', env.map(([k, v]) => `${k}=${pct(envValue(v))}`).join(',')]);
  keys.push(['autostart', String(s.enabled)]);
  keys.push(['autorestart', s.policy === 'always' ? 'true' : s.policy === 'on-failure' ? 'unexpected' : 'false']);
  keys.push(['exitcodes', '0']);
  keys.push(['startsecs', '1']);
  keys.push(['startretries', String(d.restart?.start_limit?.burst ?? 3)]);
  keys.push(['numprocs', String(s.numprocs)]);
  keys.push(['process_name', multi ? '%(program_name)s_%(process_num)d' : '%(program_name)s']);
  keys.push(['stopasgroup', 'true'], ['killasgroup', 'true']);
  if (s.log === 'files') {
    const suffix = multi ? '_%(process_num)d' : '';
    keys.push(['stdout_logfile', `${pct(s.logDirectory)}/stdout${suffix}.log`], ['stderr_logfile', `${pct(s.logDirectory)}/stderr${suffix}.log`]);
  } else {
    keys.push(['stdout_logfile', 'NONE'], ['stderr_logfile', 'NONE'], ['stdout_syslog', 'true'], ['stderr_syslog', 'true']);
  }
  return keys;
}

export function renderProgram(d: ServiceDesired): string {
  return [SUP_HEADER, `[program:${d.name}]`, ...supervisorKeys(d).map(([k, v]) => `${k}=${v}`), ''].join('\n');
}

/** A program file back as key -> value; lines that are not `key=value` of the program section go to `unmanaged`. */
export function parseProgram(text: string, name: string): { keys: Map<string, string>; unmanaged: string[] } {
  const keys = new Map<string, string>();
  const unmanaged: string[] = [];
  let inProgram = false;
  for (const line of text.split('\n')) {
    if (line === '' || line === SUP_HEADER) continue;
    if (line.startsWith('[')) {
      inProgram = line === `[program:${name}]`;
      if (!inProgram) unmanaged.push(line);
      continue;
    }
    const eq = line.indexOf('=');
    if (inProgram && eq > 0) keys.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    else unmanaged.push(line);
  }
  return { keys, unmanaged };
}

/** Attribute-level view of a program file: command as argv, environment per variable, other keys as written. */
function view(keys: Iterable<[string, string]>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of keys) {
    if (k === 'command') out['command'] = shlexSplit(unpct(v)) ?? { unparsed: v };
    else if (k === 'environment') {
      const env = parseEnvironment(v);
      if (env === null) out['environment'] = { unparsed: '(not shown)' };
      else for (const [ek, ev] of Object.entries(env)) out[`environment.${ek}`] = ev;
    } else out[k] = v;
  }
  return out;
}

const ctl = (label: string, ...args: string[]): Command => ({ argv: ['supervisorctl', ...args], label });

/** $1 name, $2 running|stopped: bring every process of the group to the state; exit 0 only when reached. */
export const SET_STATE = [
  'if [ "$2" = running ]; then supervisorctl start "$1:*" >/dev/null 2>&1; else supervisorctl stop "$1:*" >/dev/null 2>&1; exit 0; fi',
  // A process stays STARTING for startsecs: wait until every one is RUNNING.
  'i=0; while [ $i -lt 100 ]; do s=$(supervisorctl status "$1:*" 2>&1); printf "%s\\n" "$s" | grep -q -v -w RUNNING || exit 0; sleep 0.2; i=$((i + 1)); done',
  'printf "%s\\n" "$s" >&2; exit 1',
].join('\n');

const setState = (name: string, state: 'running' | 'stopped'): Command => ({ argv: ['sh', '-c', SET_STATE, 'sh', name, state], label: `${state === 'running' ? 'start' : 'stop'} service ${name} (supervisor)` });

function isRunning(d: ServiceDesired, c: ServiceCurrent): boolean {
  const n = settings(d).numprocs;
  return c.supervisor_status.length === n && c.supervisor_status.every((p) => p.state === 'RUNNING');
}

export const supervisorDriver: Driver = {
  method: 'supervisor',
  exists: (c) => c.supervisor_conf !== null,
  traces(d, c) {
    const t: AttributeChange[] = [];
    if (c.supervisor_status.some((p) => p.state === 'RUNNING' || p.state === 'STARTING' || p.state === 'BACKOFF')) t.push({ attribute: 'supervisor.state', before: 'running', after: undefined });
    if (c.supervisor_conf !== null) t.push({ attribute: 'supervisor.program_file', before: confPath(d.name), after: undefined });
    return t;
  },
  remove(d, c) {
    if (c.supervisor_conf === null) return [];
    // update removes (and stops) a program whose file is gone.
    return [{ argv: ['rm', '-f', '--', confPath(d.name)], label: `remove ${confPath(d.name)}` }, ctl('supervisorctl reread', 'reread'), ctl(`supervisorctl update ${d.name}`, 'update', d.name)];
  },
  diff(d, c) {
    const s = settings(d);
    const changes: AttributeChange[] = [];
    const want = view(supervisorKeys(d));
    if (c.supervisor_conf === null) {
      for (const [k, v] of Object.entries(want)) changes.push({ attribute: k, before: undefined, after: v });
    } else {
      const parsed = parseProgram(c.supervisor_conf, d.name);
      const have = view(parsed.keys);
      for (const k of new Set([...Object.keys(want), ...Object.keys(have)])) {
        const a = want[k];
        const b = have[k];
        if (JSON.stringify(a) !== JSON.stringify(b)) changes.push({ attribute: k, before: b === undefined ? undefined : a === undefined && k.startsWith('environment.') ? REMOVED_VALUE : b, after: a });
      }
      if (parsed.unmanaged.length > 0) changes.push({ attribute: 'unmanaged_lines', before: parsed.unmanaged, after: [] });
      if (c.supervisor_meta && (c.supervisor_meta.mode !== CONF_MODE || c.supervisor_meta.uid !== 0)) changes.push({ attribute: 'program_file_mode', before: `${c.supervisor_meta.mode} ${c.supervisor_meta.owner}`, after: `${CONF_MODE} root` });
    }
    // A program file supervisord has not loaded yet shows no processes.
    const running = isRunning(d, c);
    if ((s.state === 'running') !== running) changes.push({ attribute: 'state', before: running ? 'running' : c.supervisor_status.map((p) => p.state).join(',') || 'stopped', after: s.state });
    return changes;
  },
  apply(d, c, changes) {
    const s = settings(d);
    const commands: Command[] = [];
    const fileChanged = c.supervisor_conf === null || changes.some((ch) => ch.attribute !== 'state');
    if (fileChanged) {
      commands.push(writeFile(confPath(d.name), renderProgram(d), CONF_MODE));
      // update restarts a program whose configuration changed and starts a new one when autostart.
      commands.push(ctl('supervisorctl reread', 'reread'), ctl(`supervisorctl update ${d.name}`, 'update', d.name));
    }
    commands.push(setState(d.name, s.state));
    return commands;
  },
  restart: (d) => [ctl(`restart service ${d.name} (supervisor)`, 'restart', `${d.name}:*`)],
};
