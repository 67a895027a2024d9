/**
 * `acl`: the probe (getfacl twice, for names and for numeric ids) and the parser of its output.
 * getfacl silently shows the mode bits as an ACL on a filesystem without ACL support, so the
 * probe asks chacl first, which reports "Operation not supported" there.
 */
import type { Command, CommandResult } from '../../src/core/types.ts';
import { assertProbeRan, PATH_TYPE_SCRIPT, type PathType } from '../file/index.ts';
import type { AclDesired, EntryType } from './schema.ts';

/** One entry as getfacl shows it; named entries carry both the name (or the id when it has none) and the id. */
export interface AclEntryState {
  readonly type: EntryType;
  readonly name?: string;
  readonly id?: number;
  /** Always three characters: "r-x". */
  readonly perms: string;
}

export type AclCurrent =
  | { readonly exists: false }
  | { readonly exists: true; readonly type: 'symlink' }
  | {
      readonly exists: true;
      readonly type: Exclude<PathType, 'symlink'>;
      /** The access ACL (at least user, group and other). */
      readonly entries: readonly AclEntryState[];
      /** The default ACL; empty when there is none. */
      readonly default_entries: readonly AclEntryState[];
    };

export const NUMERIC_MARK = '@numeric';

// Absent: no output. A symlink: "type symlink". No ACL support: "unsupported <chacl's message>".
// Else "path <type>", getfacl's entries with names, "@numeric", the same entries with ids.
const PROBE = [
  PATH_TYPE_SCRIPT,
  'if [ "$t" = symlink ]; then printf "type symlink\\n"; exit 0; fi',
  'if ! command -v getfacl >/dev/null 2>&1 || ! command -v chacl >/dev/null 2>&1; then',
  '  printf "getfacl/chacl not found: install the acl package\\n" >&2; exit 1',
  'fi',
  'if ! e=$(chacl -l -- "$p" 2>&1 >/dev/null); then',
  '  case $e in *"Operation not supported"*) printf "unsupported %s\\n" "$e"; exit 0;; esac',
  '  printf "%s\\n" "$e" >&2; exit 1',
  'fi',
  'printf "path %s\\n" "$t"',
  'getfacl -p -E --omit-header -- "$p" || exit 1',
  `printf '${NUMERIC_MARK}\\n'`,
  'exec getfacl -p -E -n --omit-header -- "$p"',
].join('\n');

export function probe(d: AclDesired): Command {
  return { argv: ['sh', '-c', PROBE, 'sh', d.path], label: `read acl of ${d.path}` };
}

const PATH_TYPES: readonly string[] = ['file', 'directory', 'fifo', 'socket', 'character device', 'block device', 'other'];
const ENTRY_TYPES: readonly string[] = ['user', 'group', 'mask', 'other'];

/** getfacl escapes "\" as "\\" and ":", ",", whitespace and control characters as "\ooo". */
export function unquoteName(text: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] ?? 0;
    const rest = raw.subarray(i + 1, i + 4).toString('latin1');
    if (b === 0x5c && rest.startsWith('\\')) {
      bytes.push(0x5c);
      i += 1;
    } else if (b === 0x5c && /^[0-7]{3}$/.test(rest)) {
      bytes.push(parseInt(rest, 8) & 0xff);
      i += 3;
    } else {
      bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

interface RawLine {
  readonly isDefault: boolean;
  readonly type: EntryType;
  readonly qualifier: string;
  readonly perms: string;
}

function parseLines(text: string, bad: (line: string) => never): RawLine[] {
  const out: RawLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    // Names are escaped, so ":" only separates fields. "#effective:" comments are off (-E), but tolerated.
    const entry = line.replace(/\s+#.*$/, '');
    const fields = entry.split(':');
    const isDefault = fields[0] === 'default';
    const [type = '', qualifier, perms = '', ...extra] = isDefault ? fields.slice(1) : fields;
    if (!ENTRY_TYPES.includes(type) || qualifier === undefined || !/^[r-][w-][x-]$/.test(perms) || extra.length > 0) return bad(line);
    if ((type === 'mask' || type === 'other') && qualifier !== '') return bad(line);
    out.push({ isDefault, type: type as EntryType, qualifier, perms });
  }
  return out;
}

export function parse(result: CommandResult, d: AclDesired): AclCurrent {
  const what = `the ACL of ${d.path}`;
  assertProbeRan(result, what);
  const text = result.stdout.toString('utf8');
  const bad = (line: string): never => {
    throw new Error(`unexpected probe output for ${what}: ${JSON.stringify(line.slice(0, 120))}`);
  };
  if (text === '') return { exists: false };
  if (text === 'type symlink\n') return { exists: true, type: 'symlink' };
  if (text.startsWith('unsupported ')) {
    const why = text.slice('unsupported '.length).trim();
    throw new Error(
      `the filesystem of ${d.path} does not support POSIX ACLs (${why}); mount it with ACL support (not "noacl"), or remove this acl resource`,
    );
  }
  const nl = text.indexOf('\n');
  const head = nl < 0 ? bad(text) : text.slice(0, nl);
  const type = head.startsWith('path ') ? head.slice('path '.length) : bad(head);
  if (!PATH_TYPES.includes(type)) bad(head);
  const mark = text.indexOf(`\n${NUMERIC_MARK}\n`, nl);
  if (mark < 0) return bad(text.slice(nl + 1));
  const named = parseLines(text.slice(nl + 1, mark), bad);
  const numeric = parseLines(text.slice(mark + NUMERIC_MARK.length + 2), bad);
  const changed = (): never => {
    throw new Error(`${what} changed while it was being read; plan again`);
  };
  if (named.length !== numeric.length) changed();
  const access: AclEntryState[] = [];
  const defaults: AclEntryState[] = [];
  named.forEach((n, i) => {
    const id = numeric[i];
    if (id === undefined || id.isDefault !== n.isDefault || id.type !== n.type || (id.qualifier === '') !== (n.qualifier === '')) return changed();
    let state: AclEntryState;
    if (n.qualifier === '') {
      state = { type: n.type, perms: n.perms };
    } else {
      if (!/^[0-9]+$/.test(id.qualifier)) bad(id.qualifier);
      state = { type: n.type, name: unquoteName(n.qualifier), id: Number(id.qualifier), perms: n.perms };
    }
    (n.isDefault ? defaults : access).push(state);
  });
  if (!access.some((e) => e.type === 'user' && e.name === undefined)) bad(text.slice(nl + 1, mark));
  return { exists: true, type: type as Exclude<PathType, 'symlink'>, entries: access, default_entries: defaults };
}
