/**
 * Rendering: the desired state as the structured unit model, the unit file text and the
 * EnvironmentFile= text, with systemd's own quoting rules (systemd.syntax(7) "Quoting",
 * systemd.service(5) "Command lines", systemd.exec(5) EnvironmentFile=).
 */
import type { JsonValue } from '../../src/core/types.ts';
import { envPath, HEADER, settings, WANTED_BY, type SystemdServiceDesired } from './schema.ts';

/**
 * The unit as attributes, in display order. Both the desired state and a parsed unit file
 * are expressed in this model; undefined means "no such line".
 */
export interface UnitModel {
  description?: JsonValue;
  after?: JsonValue;
  wants?: JsonValue;
  start_limit_interval_sec?: JsonValue;
  start_limit_burst?: JsonValue;
  type?: JsonValue;
  exec_start?: JsonValue;
  working_directory?: JsonValue;
  user?: JsonValue;
  group?: JsonValue;
  environment_file?: JsonValue;
  restart?: JsonValue;
  restart_sec?: JsonValue;
  remain_after_exit?: JsonValue;
  restart_steps?: JsonValue;
  restart_max_delay_sec?: JsonValue;
  standard_output?: JsonValue;
  standard_error?: JsonValue;
  no_new_privileges?: JsonValue;
  protect_system?: JsonValue;
  private_tmp?: JsonValue;
  wanted_by?: JsonValue;
}

export const UNIT_ATTRIBUTES = [
  'description', 'after', 'wants', 'start_limit_interval_sec', 'start_limit_burst', 'type', 'exec_start',
  'working_directory', 'user', 'group', 'environment_file', 'restart', 'restart_sec', 'remain_after_exit',
  'restart_steps', 'restart_max_delay_sec', 'standard_output', 'standard_error', 'no_new_privileges', 'protect_system', 'private_tmp', 'wanted_by',
] as const satisfies readonly (keyof UnitModel)[];

/** Seconds rounded to systemd's microsecond resolution, so 0.1 and "100ms" compare equal. */
export function roundSeconds(sec: number): number {
  return Math.round(sec * 1e6) / 1e6;
}

export function formatSeconds(sec: number): string {
  const usec = Math.round(sec * 1e6);
  const whole = Math.floor(usec / 1e6);
  const frac = usec - whole * 1e6;
  return frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
}

/** "%" starts a specifier in almost every unit setting; "%%" is a literal "%". */
export function escapeSpecifiers(value: string): string {
  return value.replace(/%/g, '%%');
}

const C_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"',
};

/** Words that need no quotes: no blanks, quotes, backslashes, ";" or control characters. */
const BARE_WORD = /^[A-Za-z0-9_@%+=:,./$-]+$/;

/**
 * One word of a command line as systemd's extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)
 * reads it back: double-quoted when needed, "\" and '"' escaped, control characters as C escapes.
 * Specifier and variable escaping ("%%", "$$") is the caller's business.
 */
export function quoteWord(word: string): string {
  if (BARE_WORD.test(word)) return word;
  let out = '"';
  for (const ch of word) {
    const code = ch.codePointAt(0) ?? 0;
    const esc = C_ESCAPES[ch];
    if (esc !== undefined) out += esc;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** An argument: "%" -> "%%" (specifiers, expanded after unquoting), "$" -> "$$" (expanded at exec). */
export function quoteArgument(arg: string): string {
  return quoteWord(escapeSpecifiers(arg).replace(/\$/g, '$$$$'));
}

/**
 * The value of ExecStart=. The program path takes specifiers but no variables, while argv[0]
 * (a copy of it) takes both; for the rare path containing "$$" or "${", the "@" prefix passes
 * argv[0] separately so that both arrive exact.
 */
export function renderExecStart(argv: readonly string[]): string {
  const [program = '', ...args] = argv;
  const path = quoteWord(escapeSpecifiers(program));
  const head = /\$[{$]/.test(program) ? [`@${path}`, quoteArgument(program)] : [path];
  return [...head, ...args.map(quoteArgument)].join(' ');
}

/** Characters a double-quoted EnvironmentFile= value needs escaped (systemd's SHELL_NEED_ESCAPE). */
const ENV_ESCAPE = /["\\`$]/g;

/**
 * One EnvironmentFile= assignment. Inside double quotes systemd's env-file parser keeps every
 * byte (newlines included) except that "\" escapes '"', "\", "`" and "$" and "\"+newline is a
 * line continuation; "\n" is NOT an escape there, so a newline is written as itself.
 */
export function renderEnvAssignment(key: string, value: string): string {
  return `${key}="${value.replace(ENV_ESCAPE, (c) => `\\${c}`)}"`;
}

export function sortedEnvironment(env: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function renderEnvFile(env: Readonly<Record<string, string>>): string {
  return [HEADER, ...sortedEnvironment(env).map(([k, v]) => renderEnvAssignment(k, v)), ''].join('\n');
}

/** The desired unit in the attribute model. */
export function desiredUnit(d: SystemdServiceDesired): UnitModel {
  const s = settings(d);
  const list = (v: readonly string[] | undefined): JsonValue | undefined => (v && v.length > 0 ? [...v] : undefined);
  return {
    description: d.description,
    after: list(d.after),
    wants: list(d.wants),
    start_limit_interval_sec: d.start_limit_interval_sec === undefined ? undefined : roundSeconds(d.start_limit_interval_sec),
    start_limit_burst: d.start_limit_burst,
    type: s.type,
    exec_start: d.exec_start ? [...d.exec_start] : undefined,
    working_directory: d.working_directory,
    user: d.user,
    group: d.group,
    environment_file: Object.keys(s.environment).length > 0 ? envPath(d.name) : undefined,
    restart: s.restart,
    restart_sec: roundSeconds(s.restart_sec),
    // A oneshot's process exits: without this "running" could never be observed.
    remain_after_exit: s.type === 'oneshot' ? true : undefined,
    // Set only by the `service` kind (not part of systemd_service's schema).
    restart_steps: d.restart_steps,
    restart_max_delay_sec: d.restart_max_delay_sec === undefined ? undefined : roundSeconds(d.restart_max_delay_sec),
    standard_output: d.standard_output,
    standard_error: d.standard_error,
    no_new_privileges: d.no_new_privileges,
    protect_system: d.protect_system,
    private_tmp: d.private_tmp,
    wanted_by: [WANTED_BY],
  };
}

/** The unit file text. Every line is one the parser reads back into the same model. */
export function renderUnit(d: SystemdServiceDesired): string {
  const m = desiredUnit(d);
  const lines: string[] = [HEADER, '[Unit]'];
  const push = (key: string, value: string | undefined): void => {
    if (value !== undefined) lines.push(`${key}=${value}`);
  };
  const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
  const words = (v: JsonValue | undefined): string | undefined => (Array.isArray(v) ? v.join(' ') : undefined);
  const secs = (v: JsonValue | undefined): string | undefined => (typeof v === 'number' ? formatSeconds(v) : undefined);

  push('Description', d.description === undefined ? undefined : escapeSpecifiers(d.description));
  push('After', words(m.after));
  push('Wants', words(m.wants));
  push('StartLimitIntervalSec', secs(m.start_limit_interval_sec));
  push('StartLimitBurst', m.start_limit_burst === undefined ? undefined : String(m.start_limit_burst));
  lines.push('', '[Service]');
  push('Type', str(m.type));
  push('ExecStart', d.exec_start ? renderExecStart(d.exec_start) : undefined);
  push('WorkingDirectory', d.working_directory === undefined ? undefined : escapeSpecifiers(d.working_directory));
  push('User', str(m.user));
  push('Group', str(m.group));
  push('EnvironmentFile', str(m.environment_file));
  push('Restart', str(m.restart));
  push('RestartSec', secs(m.restart_sec));
  push('RemainAfterExit', m.remain_after_exit === true ? 'yes' : undefined);
  push('RestartSteps', m.restart_steps === undefined ? undefined : String(m.restart_steps));
  push('RestartMaxDelaySec', secs(m.restart_max_delay_sec));
  push('StandardOutput', d.standard_output === undefined ? undefined : escapeSpecifiers(d.standard_output));
  push('StandardError', d.standard_error === undefined ? undefined : escapeSpecifiers(d.standard_error));
  const yesNo = (v: JsonValue | undefined): string | undefined => (typeof v === 'boolean' ? (v ? 'yes' : 'no') : undefined);
  push('NoNewPrivileges', yesNo(m.no_new_privileges));
  push('ProtectSystem', str(m.protect_system));
  push('PrivateTmp', yesNo(m.private_tmp));
  lines.push('', '[Install]');
  push('WantedBy', words(m.wanted_by));
  return `${lines.join('\n')}\n`;
}
