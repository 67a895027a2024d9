/**
 * `file`: a regular file's content, owner, group and mode, read with stat/cat and written
 * atomically (temp file in the same directory, then rename). Also exports the stat helpers
 * the `directory` module shares.
 */
import { createHash } from 'node:crypto';
import { normaliseMode, unchanged, updateOrOk } from '../../src/core/diff.ts';
import { absolutePath, ensure, fileMode, ownerRef } from '../../src/core/schema-fragments.ts';
import { atomicWrite } from '../../src/core/atomic-write.ts';
import type { AttributeChange, AutoEdge, Command, CommandResult, DiffResult, JsonValue, Module } from '../../src/core/types.ts';

export interface FileDesired {
  readonly path: string;
  readonly ensure?: 'present' | 'absent';
  /** The full content; the engine renders `template` into it before the module sees it. */
  readonly content?: string;
  readonly template?: string;
  /** By name or uid. */
  readonly owner?: string;
  /** By name or gid. */
  readonly group?: string;
  readonly mode?: string;
  /** The engine redacts `content` in plans and reports when set. */
  readonly sensitive?: boolean;
}

/** What a path is, as the probe's test operators tell it (symbolic links are never followed). */
export type PathType = 'file' | 'directory' | 'symlink' | 'fifo' | 'socket' | 'character device' | 'block device' | 'other';

/** A path that exists but is not of the resource's type. */
export interface WrongType<T extends PathType> {
  readonly exists: true;
  readonly type: Exclude<PathType, T>;
}

/** Ownership and permissions as stat reports them. */
export interface StatFields {
  readonly owner: string;
  readonly group: string;
  readonly uid: number;
  readonly gid: number;
  /** Four octal digits, e.g. "0644". */
  readonly mode: string;
}

export type FileCurrent =
  | { readonly exists: false }
  | WrongType<'file'>
  | (StatFields & {
      readonly exists: true;
      readonly type: 'file';
      readonly size: number;
      readonly sha256: string;
      /** The content when the probe read it (at most PROBE_CONTENT_LIMIT bytes) and it is UTF-8; else null. */
      readonly content: string | null;
    });

/** Files up to this size are read by the probe; larger ones are compared by sha256sum. */
export const PROBE_CONTENT_LIMIT = 262144;
/** Plans show content changes as full texts up to this size, else as sha256 digests. */
export const SHOW_CONTENT_LIMIT = 65536;
/** Mode given to a new file when the operator does not manage it. */

/** Sets t to the type of "$1" without following a symbolic link; exits quietly when nothing is there. */
export const PATH_TYPE_SCRIPT = [
  'p=$1',
  '[ -e "$p" ] || [ -L "$p" ] || exit 0',
  'if [ -L "$p" ]; then t=symlink',
  'elif [ -f "$p" ]; then t=file',
  'elif [ -d "$p" ]; then t=directory',
  'elif [ -p "$p" ]; then t=fifo',
  'elif [ -S "$p" ]; then t=socket',
  'elif [ -c "$p" ]; then t="character device"',
  'elif [ -b "$p" ]; then t="block device"',
  'else t=other; fi',
].join('\n');

/** The `stat -c` format of the line after the type word: owner group uid gid mode. */
export const STAT_FORMAT = '%U %G %u %g %04a';

// Absent: no output. Another type: "type <type>". A file: "file <owner> <group> <uid> <gid> <mode> <size>",
// then "content <size>" followed by exactly the raw bytes to the end, or "sha256 <hex>" for a large file.
const PROBE = [
  PATH_TYPE_SCRIPT,
  'if [ "$t" != file ]; then printf "type %s\\n" "$t"; exit 0; fi',
  `s=$(stat -c '${STAT_FORMAT} %s' -- "$p") || exit 1`,
  'printf "file %s\\n" "$s"',
  'n=${s##* }',
  `if [ "$n" -le ${PROBE_CONTENT_LIMIT} ]; then printf "content %s\\n" "$n"; exec cat -- "$p"; fi`,
  'h=$(sha256sum <"$p") || exit 1',
  'printf "sha256 %s\\n" "${h%% *}"',
].join('\n');

// $1 path, $2 owner, $3 group, $4 mode ("" = unmanaged); the content arrives on stdin.
// Unmanaged owner/group/mode are copied from the file being replaced; a new file gets 0644.
const REFUSE = 'printf "%s\\n" "$1" >&2; exit 1';

/** What a new file gets when no mode is managed (atomicWrite's default too). */
const NEW_FILE_MODE = '0644';

const NUMERIC = /^[0-9]+$/;

/** An owner or group as chown takes it; "+N" makes chown read a number as an id even if a name N exists. */
export function chownRef(ref: string | undefined): string {
  if (ref === undefined) return '';
  return NUMERIC.test(ref) ? `+${ref}` : ref;
}

/** The chown argument for the managed owner and group, or '' when neither is managed. */
export function chownSpec(owner: string | undefined, group: string | undefined): string {
  const o = chownRef(owner);
  const g = chownRef(group);
  return g === '' ? o : `${o}:${g}`;
}

/** Owner/group as the operator wrote them: numbers compare with ids, names with names. */
export function wantedRef(ref: string | undefined): JsonValue | undefined {
  if (ref === undefined) return undefined;
  return NUMERIC.test(ref) ? Number(ref) : ref;
}

/** The current owner/group in the same form as wantedRef(ref). */
export function haveRef(ref: string | undefined, name: string, id: number): JsonValue {
  return ref !== undefined && NUMERIC.test(ref) ? id : name;
}

/** Managed ownership and mode of a path against what stat reported, in one attribute order. */
export function ownershipChanges(d: { owner?: string; group?: string; mode?: string }, c: StatFields): AttributeChange[] {
  const pairs: [string, JsonValue | undefined, JsonValue][] = [
    ['owner', wantedRef(d.owner), haveRef(d.owner, c.owner, c.uid)],
    ['group', wantedRef(d.group), haveRef(d.group, c.group, c.gid)],
    ['mode', d.mode === undefined ? undefined : normaliseMode(d.mode), c.mode],
  ];
  return pairs.filter(([, after, before]) => after !== undefined && after !== before).map(([attribute, after, before]) => ({ attribute, before, after }));
}

/** Parse "<owner> <group> <uid> <gid> <mode>" (STAT_FORMAT); throws on anything else, so a misread host never yields a plan. */
export function parseStatFields(words: readonly string[], what: string): StatFields {
  const [owner, group, uid, gid, mode] = words;
  if (owner === undefined || group === undefined || !NUMERIC.test(uid ?? '') || !NUMERIC.test(gid ?? '') || !/^[0-7]{4}$/.test(mode ?? '')) {
    throw new Error(`unexpected stat output for ${what}: ${JSON.stringify(words.join(' '))}`);
  }
  return { owner, group, uid: Number(uid), gid: Number(gid), mode: normaliseMode(mode ?? '') };
}

/** A probe that exited non-zero could not read the path: say why instead of guessing a state. */
export function assertProbeRan(result: CommandResult, what: string): void {
  if (result.code !== 0) {
    const why = result.stderr.toString('utf8').trim() || `exit code ${result.code}`;
    throw new Error(`cannot read ${what}: ${why}`);
  }
}

const PATH_TYPES: readonly string[] = ['file', 'directory', 'symlink', 'fifo', 'socket', 'character device', 'block device', 'other'];

/** The "type <type>" line a probe prints for a path of another type than `expected`, or null. */
export function parseWrongType<T extends PathType>(line: string, expected: T, what: string): WrongType<T> | null {
  if (!line.startsWith('type ')) return null;
  const type = line.slice('type '.length) as PathType;
  if (type === expected || !PATH_TYPES.includes(type)) throw new Error(`unexpected probe output for ${what}: ${JSON.stringify(line)}`);
  return { exists: true, type: type as Exclude<PathType, T> };
}

/** A command that fails with `message`, for a change that cannot be made safely. */
export function refuse(message: string, label: string): Command {
  return { argv: ['sh', '-c', REFUSE, 'sh', message], label };
}

/** The parent directory resource, and the owner and group when given by name. */
export function pathEdges(d: { path: string; owner?: string; group?: string }): AutoEdge[] {
  const edges: AutoEdge[] = [];
  const parent = d.path.slice(0, d.path.lastIndexOf('/'));
  if (parent !== '') edges.push({ kind: 'directory', name: parent });
  if (d.owner !== undefined && !NUMERIC.test(d.owner)) edges.push({ kind: 'user', name: d.owner });
  if (d.group !== undefined && !NUMERIC.test(d.group)) edges.push({ kind: 'group', name: d.group });
  return edges;
}

/** "a", "a and b", "a, b and c". */
export function listWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Content as a plan shows it: the text when small enough, else its digest. */
function shownContent(text: string | null, sha256: string, size: number, other?: { size: number }): string {
  const small = size <= SHOW_CONTENT_LIMIT && (other === undefined || other.size <= SHOW_CONTENT_LIMIT);
  return small && text !== null ? text : `sha256:${sha256}`;
}

function parseFile(stdout: Buffer, path: string): FileCurrent {
  const what = `file ${path}`;
  const bad = (): never => {
    throw new Error(`unexpected probe output for ${what}: ${JSON.stringify(stdout.subarray(0, 120).toString('utf8'))}`);
  };
  if (stdout.length === 0) return { exists: false };
  const nl = stdout.indexOf(0x0a);
  if (nl < 0) return bad();
  const first = stdout.subarray(0, nl).toString('utf8');
  const wrong = parseWrongType(first, 'file', what);
  if (wrong) return wrong;
  const words = first.split(' ');
  if (words[0] !== 'file' || words.length !== 7 || !NUMERIC.test(words[6] ?? '')) return bad();
  const stat = parseStatFields(words.slice(1, 6), what);
  const size = Number(words[6]);
  const nl2 = stdout.indexOf(0x0a, nl + 1);
  if (nl2 < 0) return bad();
  const [tag, value = ''] = stdout.subarray(nl + 1, nl2).toString('utf8').split(' ');
  if (tag === 'sha256' && /^[0-9a-f]{64}$/.test(value) && nl2 + 1 === stdout.length) {
    return { exists: true, type: 'file', ...stat, size, sha256: value, content: null };
  }
  if (tag !== 'content' || value !== String(size)) return bad();
  const bytes = stdout.subarray(nl2 + 1);
  if (bytes.length !== size) {
    throw new Error(`${what} changed while it was being read (${size} bytes announced, ${bytes.length} read); plan again`);
  }
  let content: string | null;
  try {
    content = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    content = null;
  }
  return { exists: true, type: 'file', ...stat, size, sha256: sha256Hex(bytes), content };
}

export const fileModule: Module<FileDesired, FileCurrent> = {
  kind: 'file',
  summary: 'A regular file: content (inline or from a template), owner, group and mode, written atomically.',
  platforms: ['linux'],
  schema: {
    type: 'object',
    required: ['path'],
    // Ajv's strictRequired wants the names declared in the same subschema.
    not: {
      description: 'content and template are mutually exclusive: give one of them.',
      required: ['content', 'template'],
      properties: { content: true, template: true },
    },
    properties: {
      path: absolutePath,
      ensure,
      content: { type: 'string', description: 'The full content of the file (exclusive with template); unmanaged when both are omitted.' },
      template: {
        type: 'string',
        minLength: 1,
        description: 'A Handlebars template, relative to the playbook, rendered per host into the content (exclusive with content).',
      },
      owner: { ...ownerRef, description: 'Owning user by name or uid; the user resource of that name is an automatic dependency.' },
      group: { ...ownerRef, description: 'Owning group by name or gid; the group resource of that name is an automatic dependency.' },
      mode: { ...fileMode, description: `${fileMode.description} New files get ${NEW_FILE_MODE} when omitted.` },
      sensitive: { type: 'boolean', default: false, description: 'The content is a secret: plans and reports show it redacted.' },
    },
  },
  sensitiveAttributes: [],
  name: (d) => d.path,
  removal: (d) => ({ path: d.path, ensure: 'absent' }),
  edges: (d) => pathEdges(d),
  probe: (d) => ({ argv: ['sh', '-c', PROBE, 'sh', d.path], label: `read file ${d.path}` }),

  parse(result: CommandResult, d: FileDesired): FileCurrent {
    assertProbeRan(result, `file ${d.path}`);
    return parseFile(result.stdout, d.path);
  },

  diff(d, c): DiffResult {
    if (d.ensure === 'absent') {
      if (!c.exists) return unchanged(`file ${d.path} is absent`);
      if (c.type !== 'file') return { status: 'change', action: 'delete', changes: [{ attribute: 'type', before: c.type, after: undefined }] };
      return { status: 'change', action: 'delete', changes: [{ attribute: 'content', before: shownContent(c.content, c.sha256, c.size), after: undefined }] };
    }
    const mode = d.mode === undefined ? undefined : normaliseMode(d.mode);
    if (!c.exists) {
      const created: AttributeChange[] = [];
      if (d.content !== undefined) {
        const size = Buffer.byteLength(d.content);
        created.push({ attribute: 'content', before: undefined, after: shownContent(d.content, sha256Hex(d.content), size) });
      }
      if (d.owner !== undefined) created.push({ attribute: 'owner', before: undefined, after: wantedRef(d.owner) });
      if (d.group !== undefined) created.push({ attribute: 'group', before: undefined, after: wantedRef(d.group) });
      created.push({ attribute: 'mode', before: undefined, after: mode ?? NEW_FILE_MODE });
      return { status: 'change', action: 'create', changes: created };
    }
    if (c.type !== 'file') return { status: 'change', action: 'update', changes: [{ attribute: 'type', before: c.type, after: 'file' }] };
    const changes: AttributeChange[] = [];
    if (d.content !== undefined) {
      const size = Buffer.byteLength(d.content);
      const sha = sha256Hex(d.content);
      if (sha !== c.sha256) {
        changes.push({
          attribute: 'content',
          before: shownContent(c.content, c.sha256, c.size, { size }),
          after: shownContent(d.content, sha, size, { size: c.size }),
        });
      }
    }
    changes.push(...ownershipChanges(d, c));
    const checked = [d.content === undefined ? '' : 'content', d.owner === undefined ? '' : 'owner', d.group === undefined ? '' : 'group', mode === undefined ? '' : 'mode'].filter(Boolean);
    const reason = checked.length === 0 ? `file ${d.path} exists (content, owner, group and mode unmanaged)` : `file ${d.path} has the desired ${listWords(checked)}`;
    return updateOrOk(changes, reason);
  },

  apply(d, c, diff) {
    if (c.exists && c.type !== 'file') {
      return diff.action === 'delete'
        ? [refuse(`${d.path} is a ${c.type}, not a file; a file resource only removes regular files`, `refuse to delete ${c.type} ${d.path}`)]
        : [refuse(`${d.path} is a ${c.type}, not a file; remove it or change the path`, `refuse to replace ${c.type} ${d.path}`)];
    }
    if (diff.action === 'delete') return [{ argv: ['rm', '-f', '--', d.path], label: `delete file ${d.path}` }];
    const mode = d.mode === undefined ? '' : normaliseMode(d.mode);
    const attrs = new Set(diff.changes.map((ch) => ch.attribute));
    if (diff.action === 'create' || attrs.has('content')) {
      return [atomicWrite(d.path, d.content ?? '', { owner: chownRef(d.owner), group: chownRef(d.group), ...(mode ? { mode } : {}), label: `write file ${d.path}` })];
    }
    const commands: Command[] = [];
    // chown before chmod: changing the owner clears setuid/setgid bits.
    if (attrs.has('owner') || attrs.has('group')) {
      commands.push({ argv: ['chown', '-h', '--', chownSpec(d.owner, d.group), d.path], label: `set ownership of ${d.path}` });
    }
    if (attrs.has('mode')) commands.push({ argv: ['chmod', '--', mode, d.path], label: `set mode of ${d.path}` });
    return commands;
  },
};
