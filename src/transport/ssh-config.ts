/**
 * The subset of the operator's OpenSSH client config (ssh_config(5)) that decides how a host is
 * reached: which name/port/user, which keys, which known_hosts, which jump host. Reading it keeps
 * `provision` consistent with what `ssh ALIAS` does on the same machine.
 *
 * Semantics follow readconf.c: keywords are case-insensitive, `key value` and `key=value` both
 * work, the first obtained value of a keyword wins (IdentityFile accumulates), `Host` patterns
 * use `*`/`?` wildcards and `!` negation, `Include` globs are relative to ~/.ssh. `Match` blocks
 * need runtime criteria (exec, localuser, ...) we do not evaluate: they are skipped with a warning,
 * except `Match all`.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new' | 'ask';

export interface ResolvedSshConfig {
  hostName?: string;
  port?: number;
  user?: string;
  /** In the order OpenSSH would try them, `~` and `%` tokens expanded. */
  identityFiles: string[];
  /** Raw ProxyJump value (`none` is reported as absent). */
  proxyJump?: string;
  /** The first UserKnownHostsFile, expanded (`none` becomes /dev/null, as it means "no file"). */
  userKnownHostsFile?: string;
  strictHostKeyChecking?: StrictHostKeyChecking;
  /** Seconds, as written in the config. */
  connectTimeout?: number;
  /** Seconds, as written in the config. */
  serverAliveInterval?: number;
  identitiesOnly?: boolean;
  /** Lines that were ignored (Match blocks, bad values, unknown % tokens), for the operator. */
  warnings: string[];
}

export type SshConfigSource = { readonly text: string; readonly path?: string } | { readonly file: string };

/** Values known before the config is read; they win over the config (as ssh's command line does). */
export interface SshConfigContext {
  readonly user?: string;
  readonly port?: number;
  readonly homeDir?: string;
  readonly localUser?: string;
}

/** OpenSSH's READCONF_MAX_DEPTH: protects against Include loops. */
const MAX_INCLUDE_DEPTH = 16;

export function resolveSshConfig(source: SshConfigSource, alias: string, context: SshConfigContext = {}): ResolvedSshConfig {
  const home = context.homeDir ?? homedir();
  const state: ParseState = { alias: alias.toLowerCase(), home, values: new Map(), identityFiles: [], warnings: [] };
  if ('file' in source) parseFile(state, expandTilde(source.file, home), 0);
  else parseText(state, source.text, source.path ?? '<text>', 0);
  return finish(state, alias, context);
}

interface ParseState {
  readonly alias: string;
  readonly home: string;
  /** keyword (lower case) -> arguments of its first occurrence that applied. */
  readonly values: Map<string, { args: string[]; where: string }>;
  readonly identityFiles: string[];
  readonly warnings: string[];
}

function parseFile(state: ParseState, path: string, depth: number): void {
  parseText(state, readFileSync(path, 'utf8'), path, depth);
}

function parseText(state: ParseState, text: string, path: string, depth: number): void {
  // Lines before the first Host/Match apply to every host; an Include'd file starts in the
  // including line's state and its Host lines do not leak back (readconf.c does the same).
  let active = true;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const where = `${path}:${i + 1}`;
    const parsed = parseLine(lines[i] ?? '');
    if (parsed === null) continue;
    if (parsed instanceof Error) {
      state.warnings.push(`${where}: ${parsed.message}; line ignored`);
      continue;
    }
    const { keyword, args } = parsed;
    if (keyword === 'host') {
      active = hostLineMatches(args, state.alias);
    } else if (keyword === 'match') {
      active = args.length === 1 && args[0]?.toLowerCase() === 'all';
      if (!active) state.warnings.push(`${where}: Match blocks are not supported; this block is ignored`);
    } else if (!active) {
      continue;
    } else if (keyword === 'include') {
      include(state, args, where, depth);
    } else if (keyword === 'identityfile') {
      if (args[0] !== undefined) state.identityFiles.push(args[0]);
    } else if (!state.values.has(keyword)) {
      state.values.set(keyword, { args, where });
    }
  }
}

function include(state: ParseState, patterns: string[], where: string, depth: number): void {
  if (depth + 1 > MAX_INCLUDE_DEPTH) {
    state.warnings.push(`${where}: Include nested too deeply (loop?); ignored`);
    return;
  }
  for (const pattern of patterns) {
    const expanded = expandTilde(pattern, state.home);
    const absolute = isAbsolute(expanded) ? expanded : join(state.home, '.ssh', expanded);
    // A pattern matching nothing is not an error for OpenSSH either.
    for (const file of globFiles(absolute)) parseFile(state, file, depth + 1);
  }
}

type ParsedLine = { keyword: string; args: string[] } | Error | null;

/** Keyword and arguments of one line, or null for blank/comment lines. */
function parseLine(line: string): ParsedLine {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const m = /^([^\s=]+)(?:\s*=\s*|\s+|$)(.*)$/s.exec(trimmed);
  if (!m) return new Error('cannot parse');
  const args = splitArgs(m[2] ?? '');
  if (args instanceof Error) return args;
  return { keyword: (m[1] ?? '').toLowerCase(), args };
}

/** argv_split(): whitespace-separated words, "..." and '...' quoting, backslash escapes, # comments. */
function splitArgs(text: string): string[] | Error {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (i >= text.length || text[i] === '#') break;
    let word = '';
    let quote: string | null = null;
    for (; i < text.length; i++) {
      const c = text[i] ?? '';
      if (quote === null && /\s/.test(c)) break;
      if (c === '\\' && i + 1 < text.length && /["'\\\s]/.test(text[i + 1] ?? '')) {
        word += text[++i];
      } else if (quote !== null && c === quote) {
        quote = null;
      } else if (quote === null && (c === '"' || c === "'")) {
        quote = c;
      } else {
        word += c;
      }
    }
    if (quote !== null) return new Error('unterminated quote');
    out.push(word);
  }
  return out;
}

/** A Host line matches when some pattern matches and no negated pattern does. */
export function hostLineMatches(patterns: readonly string[], host: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (!wildcardMatch(negated ? pattern.slice(1) : pattern, host)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** OpenSSH match_pattern(): `*` and `?` wildcards, whole string, case-insensitive for host names. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const source = pattern
    .toLowerCase()
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(value.toLowerCase());
}

/** Absolute paths matching a pattern with wildcards in any component, sorted as glob(3) does. */
function globFiles(pattern: string): string[] {
  const parts = pattern.split('/').filter((p) => p !== '');
  let candidates = ['/'];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of candidates) {
      if (!/[*?[]/.test(part)) {
        next.push(join(dir, part));
        continue;
      }
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        continue;
      }
      // Like glob(3), a wildcard does not match a leading dot.
      for (const e of entries.sort()) if (!e.startsWith('.') && wildcardMatch(part, e)) next.push(join(dir, e));
    }
    candidates = next;
  }
  return candidates.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

export function expandTilde(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

function finish(state: ParseState, alias: string, context: SshConfigContext): ResolvedSshConfig {
  const result: ResolvedSshConfig = { identityFiles: [], warnings: state.warnings };
  const first = (key: string): string | undefined => state.values.get(key)?.args[0];
  const warnBad = (key: string): void => {
    const v = state.values.get(key);
    state.warnings.push(`${v?.where ?? key}: invalid ${key} value ${JSON.stringify(v?.args.join(' '))}; ignored`);
  };

  // HostName accepts %h (the alias) and %%, so "HostName %h.example.com" works.
  const hostName = first('hostname');
  if (hostName !== undefined) result.hostName = expandTokens(hostName, { '%': '%', h: alias }, state.warnings);

  const port = first('port');
  if (port !== undefined) {
    const n = Number(port);
    if (Number.isInteger(n) && n > 0 && n < 65536) result.port = n;
    else warnBad('port');
  }
  const user = first('user');
  if (user !== undefined) result.user = user;

  const proxyJump = first('proxyjump');
  if (proxyJump !== undefined && proxyJump.toLowerCase() !== 'none') result.proxyJump = proxyJump;

  const strict = first('stricthostkeychecking')?.toLowerCase();
  if (strict !== undefined) {
    const map: Record<string, StrictHostKeyChecking> = { yes: 'yes', true: 'yes', ask: 'ask', no: 'no', off: 'no', false: 'no', 'accept-new': 'accept-new' };
    const value = map[strict];
    if (value) result.strictHostKeyChecking = value;
    else warnBad('stricthostkeychecking');
  }
  for (const [key, field] of [['connecttimeout', 'connectTimeout'], ['serveraliveinterval', 'serverAliveInterval']] as const) {
    const v = first(key);
    if (v === undefined) continue;
    const n = Number(v);
    if (Number.isFinite(n) && n >= 0) result[field] = n;
    else warnBad(key);
  }
  const identitiesOnly = first('identitiesonly')?.toLowerCase();
  if (identitiesOnly !== undefined) result.identitiesOnly = identitiesOnly === 'yes' || identitiesOnly === 'true';

  // Path tokens (ssh_config(5) TOKENS) are expanded once host, port and user are final.
  const localUser = context.localUser ?? userInfo().username;
  const tokens: Record<string, string> = {
    '%': '%',
    d: state.home,
    h: result.hostName ?? alias,
    n: alias,
    p: String(context.port ?? result.port ?? 22),
    r: context.user ?? result.user ?? localUser,
    u: localUser,
    l: hostname(),
    L: hostname().split('.')[0] ?? '',
    i: String(userInfo().uid),
  };
  tokens['C'] = createHash('sha1').update(`${tokens['l']}${tokens['h']}${tokens['p']}${tokens['r']}`).digest('hex');
  const path = (p: string): string => expandTilde(expandTokens(p, tokens, state.warnings), state.home);
  result.identityFiles = [...new Set(state.identityFiles.map(path))];
  const knownHosts = first('userknownhostsfile');
  if (knownHosts !== undefined) result.userKnownHostsFile = knownHosts.toLowerCase() === 'none' ? '/dev/null' : path(knownHosts);
  return result;
}

function expandTokens(value: string, tokens: Record<string, string>, warnings: string[]): string {
  return value.replace(/%(.)/g, (whole, token: string) => {
    const v = tokens[token];
    if (v !== undefined) return v;
    warnings.push(`unsupported token ${whole} in ${JSON.stringify(value)}; left as is`);
    return whole;
  });
}

export interface JumpHop {
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
  /** The hop as written, for messages. */
  readonly spec: string;
}

/** ProxyJump syntax: comma-separated `[user@]host[:port]`, `[v6addr]:port` or `ssh://[user@]host[:port]`. */
export function parseProxyJump(value: string): JumpHop[] | Error {
  const hops: JumpHop[] = [];
  for (const raw of value.split(',')) {
    const spec = raw.trim();
    const body = spec.startsWith('ssh://') ? spec.slice(6) : spec;
    const m = /^(?:([^@]+)@)?(?:\[([^\]]+)\]|([^:@[\]]+))(?::(\d+))?$/.exec(body);
    if (!m) return new Error(`invalid jump host ${JSON.stringify(spec)}: expected [user@]host[:port]`);
    const port = m[4] === undefined ? undefined : Number(m[4]);
    if (port !== undefined && (port < 1 || port > 65535)) return new Error(`invalid port in jump host ${JSON.stringify(spec)}`);
    hops.push({ spec, host: (m[2] ?? m[3]) as string, ...(m[1] ? { user: m[1] } : {}), ...(port ? { port } : {}) });
  }
  return hops;
}

/** The default config file, if the operator has one. */
export function defaultSshConfigFile(home: string = homedir()): string | null {
  const path = join(home, '.ssh', 'config');
  try {
    return statSync(path).isFile() ? path : null;
  } catch {
    return null;
  }
}

