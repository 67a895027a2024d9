/**
 * Parsing: a unit file (as this module writes it, or as someone edited it) back into the
 * attribute model, and an EnvironmentFile= back into its variables, following systemd 252's
 * parsers (conf-parser line continuation, extract_first_word + cunescape_one, specifier and
 * variable expansion, env-file.c). What systemd would expand at run time (specifiers such as
 * "%n", variables such as "${X}") cannot be compared statically: such a value is reported as
 * `{ unparsed: <raw text> }`, which never equals a desired value, so the line gets rewritten.
 */
import type { JsonValue } from '../../src/core/types.ts';
import { HEADER } from './schema.ts';
import { roundSeconds, type UnitModel } from './unit-render.ts';

export interface ParsedUnit {
  readonly unit: UnitModel;
  /** Lines this module does not write (other settings, comments, other sections), to be removed. */
  readonly unmanaged_lines: string[];
}

const unparsed = (raw: string): JsonValue => ({ unparsed: raw });

/** systemd's WHITESPACE set, the only characters strstrip() removes. */
const strip = (s: string): string => s.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');

/** Logical lines: an odd number of trailing backslashes joins the next line (the "\" becomes a blank). */
export function logicalLines(text: string): string[] {
  const out: string[] = [];
  let continued: string | null = null;
  for (const physical of text.split('\n')) {
    if (continued !== null && /^[ \t]*[#;]/.test(physical)) continue; // comments inside a continuation are skipped
    const line: string = continued === null ? physical : continued + physical;
    const trailing = /\\*$/.exec(line)?.[0].length ?? 0;
    if (trailing % 2 === 1) {
      continued = `${line.slice(0, -1)} `;
      continue;
    }
    continued = null;
    out.push(line);
  }
  if (continued !== null) out.push(continued);
  return out;
}

/** "%%" -> "%"; any other specifier makes the value depend on the host: null. */
function unescapeSpecifiers(raw: string): string | null {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== '%') {
      out += raw[i];
      continue;
    }
    if (raw[i + 1] !== '%') return null;
    out += '%';
    i++;
  }
  return out;
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, '\\': 0x5c, '"': 0x22, "'": 0x27, s: 0x20,
};

/** cunescape_one: the escape at text[i] (after the backslash) as bytes and the length consumed, or null. */
function cunescapeOne(text: string, i: number): { bytes: Buffer; length: number } | null {
  const c = text[i];
  if (c === undefined) return null;
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return { bytes: Buffer.from([simple]), length: 1 };
  const hex = (n: number): number | null => {
    const s = text.slice(i + 1, i + 1 + n);
    return s.length === n && /^[0-9a-fA-F]+$/.test(s) ? parseInt(s, 16) : null;
  };
  if (c === 'x') {
    const v = hex(2);
    return v === null || v === 0 ? null : { bytes: Buffer.from([v]), length: 3 };
  }
  if (c === 'u' || c === 'U') {
    const n = c === 'u' ? 4 : 8;
    const v = hex(n);
    if (v === null || v === 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return null;
    return { bytes: Buffer.from(String.fromCodePoint(v), 'utf8'), length: n + 1 };
  }
  if (/[0-7]/.test(c)) {
    const s = text.slice(i, i + 3);
    if (!/^[0-7]{3}$/.test(s)) return null;
    const v = parseInt(s, 8);
    return v === 0 || v > 0xff ? null : { bytes: Buffer.from([v]), length: 3 };
  }
  return null;
}

/**
 * extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE) over a whole value: the words, or null
 * for what systemd would refuse or only accept with a warning (unbalanced quotes, unknown escapes,
 * invalid UTF-8).
 */
export function splitWords(value: string): { word: string; raw: string }[] | null {
  const words: { word: string; raw: string }[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && /[ \t\n\r]/.test(value[i] ?? '')) i++;
    if (i >= n) break;
    const start = i;
    // ExecStart=: a lone "\;" is a literal ";" argument (checked before unescaping, as systemd does).
    if (value.startsWith('\\;', i) && (i + 2 === n || /[ \t\n\r]/.test(value[i + 2] ?? ''))) {
      words.push({ word: ';', raw: '\\;' });
      i += 2;
      continue;
    }
    const parts: Buffer[] = [];
    let quote: string | null = null;
    for (; i < n; i++) {
      const c = value[i] ?? '';
      if (quote === null && /[ \t\n\r]/.test(c)) break;
      if (c === '\\') {
        const esc = cunescapeOne(value, i + 1);
        if (esc === null) return null;
        parts.push(esc.bytes);
        i += esc.length;
      } else if (quote !== null && c === quote) {
        quote = null;
      } else if (quote === null && (c === '"' || c === "'")) {
        quote = c;
      } else {
        const ch = String.fromCodePoint(value.codePointAt(i) ?? 0);
        parts.push(Buffer.from(ch, 'utf8'));
        i += ch.length - 1;
      }
    }
    if (quote !== null) return null;
    const bytes = Buffer.concat(parts);
    const word = bytes.toString('utf8');
    if (!Buffer.from(word, 'utf8').equals(bytes)) return null;
    words.push({ word, raw: value.slice(start, i) });
  }
  return words;
}

/**
 * What a command-line argument becomes at exec time when it contains no variable: "$$" -> "$",
 * a lone "$" stays. A whole-word "$NAME" (split into several arguments) or "${NAME}" depends on
 * the environment: null.
 */
function unescapeVariables(word: string): string | null {
  if (word.startsWith('$') && word[1] !== '{' && word[1] !== '$') return null;
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i];
    if (c === '$' && word[i + 1] === '$') {
      out += '$';
      i++;
    } else if (c === '$' && word[i + 1] === '{') {
      return null;
    } else {
      out += c;
    }
  }
  return out;
}

/** An ExecStart= value as the argv it runs, or null when it is not a plain single command. */
export function parseExecStart(value: string): string[] | null {
  const words = splitWords(value);
  if (words === null || words.length === 0) return null;
  // A ";" word (unescaped) separates commands; "\;" is a literal argument.
  if (words.some((w) => w.raw === ';')) return null;
  const [first, ...rest] = words;
  if (first === undefined) return null;
  let program = first.word;
  let argv0: string | null = null;
  let args = rest;
  if (program.startsWith('@')) {
    program = program.slice(1);
    const [second, ...others] = rest;
    if (second === undefined) return null;
    argv0 = second.word;
    args = others;
  }
  // Other prefixes (-, :, +, !) change how the command runs: not what this module writes.
  if (!program.startsWith('/')) return null;
  const path = unescapeSpecifiers(program);
  if (path === null) return null;
  if (argv0 !== null) {
    const a0 = unescapeSpecifiers(argv0);
    if (a0 === null || unescapeVariables(a0) !== path) return null;
  } else if (/\$[{$]/.test(path)) {
    return null; // argv[0] would differ from the program path
  }
  const out = [path];
  for (const a of args) {
    const spec = unescapeSpecifiers(a.word);
    if (spec === null) return null;
    const arg = unescapeVariables(spec);
    if (arg === null) return null;
    out.push(arg);
  }
  return out;
}

/** systemd time spans (parse_sec): "90", "1.5", "100ms", "1min 30s"... in seconds, or null. */
export function parseTimespan(value: string): number | null {
  const units: [string, number][] = [
    ['seconds', 1e6], ['second', 1e6], ['sec', 1e6], ['s', 1e6],
    ['minutes', 60e6], ['minute', 60e6], ['min', 60e6], ['months', 2629800e6], ['month', 2629800e6], ['msec', 1e3], ['ms', 1e3], ['m', 60e6],
    ['hours', 3600e6], ['hour', 3600e6], ['hr', 3600e6], ['h', 3600e6],
    ['days', 86400e6], ['day', 86400e6], ['d', 86400e6],
    ['weeks', 604800e6], ['week', 604800e6], ['w', 604800e6],
    ['M', 2629800e6], ['years', 31557600e6], ['year', 31557600e6], ['y', 31557600e6],
    ['usec', 1], ['us', 1], ['µs', 1], ['μs', 1],
  ];
  let rest = value.trim();
  if (rest === '') return null;
  let usec = 0;
  while (rest !== '') {
    const m = /^(\d+)(?:\.(\d+))?[ \t]*/.exec(rest);
    if (!m) return null;
    rest = rest.slice(m[0].length);
    const unit = units.find(([u]) => rest.startsWith(u) && !/^[A-Za-zµμ]/.test(rest.slice(u.length)));
    const factor = unit ? unit[1] : 1e6;
    if (unit) rest = rest.slice(unit[0].length);
    rest = rest.replace(/^[ \t]+/, '');
    usec += Number(m[1]) * factor + (m[2] ? Math.floor(Number(`0.${m[2]}`) * factor) : 0);
  }
  return roundSeconds(usec / 1e6);
}

function parseBoolean(value: string): boolean | null {
  const v = value.toLowerCase();
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(v)) return true;
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(v)) return false;
  return null;
}

type Setting = { attribute: keyof UnitModel; list?: true; parse: (raw: string) => JsonValue | null };

const plainWords = (raw: string): string[] | null => {
  const w = raw.split(/[ \t]+/).filter((x) => x !== '');
  return w.some((x) => x.includes('%') || x.includes('"') || x.includes("'")) ? null : w;
};

const SETTINGS: Readonly<Record<string, Readonly<Record<string, Setting>>>> = {
  Unit: {
    Description: { attribute: 'description', parse: (r) => (r === '' ? null : unescapeSpecifiers(r)) },
    After: { attribute: 'after', list: true, parse: plainWords },
    Wants: { attribute: 'wants', list: true, parse: plainWords },
    StartLimitIntervalSec: { attribute: 'start_limit_interval_sec', parse: parseTimespan },
    StartLimitBurst: { attribute: 'start_limit_burst', parse: (r) => (/^\d{1,10}$/.test(r) && Number(r) <= 4294967295 ? Number(r) : null) },
  },
  Service: {
    Type: { attribute: 'type', parse: (r) => r },
    ExecStart: { attribute: 'exec_start', parse: parseExecStart },
    WorkingDirectory: { attribute: 'working_directory', parse: (r) => (r.startsWith('/') ? unescapeSpecifiers(r) : null) },
    User: { attribute: 'user', parse: (r) => (r.includes('%') ? null : r) },
    Group: { attribute: 'group', parse: (r) => (r.includes('%') ? null : r) },
    EnvironmentFile: { attribute: 'environment_file', parse: (r) => (r.startsWith('/') ? unescapeSpecifiers(r) : null) },
    Restart: { attribute: 'restart', parse: (r) => r },
    RestartSec: { attribute: 'restart_sec', parse: parseTimespan },
    RemainAfterExit: { attribute: 'remain_after_exit', parse: parseBoolean },
    RestartSteps: { attribute: 'restart_steps', parse: (r) => (/^\d{1,10}$/.test(r) ? Number(r) : null) },
    RestartMaxDelaySec: { attribute: 'restart_max_delay_sec', parse: parseTimespan },
    StandardOutput: { attribute: 'standard_output', parse: (r) => unescapeSpecifiers(r) },
    StandardError: { attribute: 'standard_error', parse: (r) => unescapeSpecifiers(r) },
    NoNewPrivileges: { attribute: 'no_new_privileges', parse: parseBoolean },
    ProtectSystem: { attribute: 'protect_system', parse: (r) => r },
    PrivateTmp: { attribute: 'private_tmp', parse: parseBoolean },
  },
  Install: {
    WantedBy: { attribute: 'wanted_by', list: true, parse: plainWords },
  },
};

/** A unit file as the attribute model plus the lines this module does not manage. */
export function parseUnit(text: string): ParsedUnit {
  const unit: Record<string, JsonValue> = {};
  const unmanaged: string[] = [];
  const seen = new Map<string, string>(); // attribute -> the line that set it last
  let section: string | null = null;
  for (const line of logicalLines(text)) {
    const l = strip(line);
    if (l === '' || l === HEADER) continue;
    if (l.startsWith('#') || l.startsWith(';')) {
      unmanaged.push(l);
      continue;
    }
    if (l.startsWith('[') && l.endsWith(']')) {
      section = l.slice(1, -1);
      if (!(section in SETTINGS)) unmanaged.push(l);
      continue;
    }
    const eq = l.indexOf('=');
    const setting = section !== null && eq > 0 ? SETTINGS[section]?.[strip(l.slice(0, eq))] : undefined;
    if (setting === undefined) {
      unmanaged.push(l);
      continue;
    }
    const raw = strip(l.slice(eq + 1));
    const parsed = setting.parse(raw);
    const value = parsed === null ? unparsed(raw) : parsed;
    const previous = unit[setting.attribute];
    if (setting.list && Array.isArray(previous) && Array.isArray(value)) {
      unit[setting.attribute] = [...previous, ...value];
    } else if (setting.attribute === 'exec_start' && previous !== undefined) {
      unmanaged.push(l); // a second command line: only oneshot services may have one
    } else {
      const earlier = seen.get(setting.attribute);
      if (earlier !== undefined && !setting.list) unmanaged.push(earlier); // overridden by this line
      unit[setting.attribute] = value;
      seen.set(setting.attribute, l);
    }
  }
  for (const [attribute, value] of Object.entries(unit)) {
    if (Array.isArray(value) && value.length === 0) delete unit[attribute];
  }
  return { unit: unit as UnitModel, unmanaged_lines: unmanaged };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * An EnvironmentFile= as systemd's parse_env_file_internal() + load_env_file() read it:
 * comments, blank lines, unquoted / single / double quoted values, continuation lines; the last
 * assignment of a name wins; invalid names are dropped like strv_env_clean() does.
 */
export function parseEnvFile(text: string): Record<string, string> {
  type State = 'PRE_KEY' | 'KEY' | 'PRE_VALUE' | 'VALUE' | 'VALUE_ESCAPE' | 'SQ' | 'DQ' | 'DQ_ESCAPE' | 'COMMENT' | 'COMMENT_ESCAPE';
  const result = new Map<string, string>();
  let state: State = 'PRE_KEY';
  let key = '';
  let value = '';
  let lastKeyWs = -1;
  let lastValueWs = -1;
  const WS = ' \t\n\r';
  const NL = '\n\r';
  const push = (): void => {
    const k = lastKeyWs >= 0 ? key.slice(0, lastKeyWs) : key;
    if (ENV_NAME.test(k)) {
      result.delete(k); // keep insertion order of the last assignment
      result.set(k, value);
    }
    key = '';
    value = '';
  };
  const text0 = text.split('\0')[0] ?? '';
  for (const c of text0) {
    switch (state) {
      case 'PRE_KEY':
        if (c === '#' || c === ';') state = 'COMMENT';
        else if (!WS.includes(c)) {
          state = 'KEY';
          lastKeyWs = -1;
          key = c;
        }
        break;
      case 'KEY':
        if (NL.includes(c)) {
          state = 'PRE_KEY';
          key = '';
        } else if (c === '=') {
          state = 'PRE_VALUE';
          lastValueWs = -1;
        } else {
          if (!WS.includes(c)) lastKeyWs = -1;
          else if (lastKeyWs < 0) lastKeyWs = key.length;
          key += c;
        }
        break;
      case 'PRE_VALUE':
        if (NL.includes(c)) {
          state = 'PRE_KEY';
          push();
        } else if (c === "'") state = 'SQ';
        else if (c === '"') state = 'DQ';
        else if (c === '\\') state = 'VALUE_ESCAPE';
        else if (!WS.includes(c)) {
          state = 'VALUE';
          value += c;
        }
        break;
      case 'VALUE':
        if (NL.includes(c)) {
          state = 'PRE_KEY';
          if (lastValueWs >= 0) value = value.slice(0, lastValueWs);
          push();
        } else if (c === '\\') {
          state = 'VALUE_ESCAPE';
          lastValueWs = -1;
        } else {
          if (!WS.includes(c)) lastValueWs = -1;
          else if (lastValueWs < 0) lastValueWs = value.length;
          value += c;
        }
        break;
      case 'VALUE_ESCAPE':
        state = 'VALUE';
        if (!NL.includes(c)) value += c;
        break;
      case 'SQ':
        if (c === "'") state = 'PRE_VALUE';
        else value += c;
        break;
      case 'DQ':
        if (c === '"') state = 'PRE_VALUE';
        else if (c === '\\') state = 'DQ_ESCAPE';
        else value += c;
        break;
      case 'DQ_ESCAPE':
        state = 'DQ';
        if ('"\\`$'.includes(c)) value += c;
        else if (c !== '\n') value += `\\${c}`;
        break;
      case 'COMMENT':
        if (c === '\\') state = 'COMMENT_ESCAPE';
        else if (NL.includes(c)) state = 'PRE_KEY';
        break;
      case 'COMMENT_ESCAPE':
        // systemd 252 and older: a comment ending in "\" swallows the next line.
        state = 'COMMENT';
        break;
    }
  }
  if (['PRE_VALUE', 'VALUE', 'VALUE_ESCAPE', 'SQ', 'DQ', 'DQ_ESCAPE'].includes(state)) {
    if (state === 'VALUE' && lastValueWs >= 0) value = value.slice(0, lastValueWs);
    push();
  }
  return Object.fromEntries(result);
}
