/** `directory`: a directory's owner, group and mode, read with stat and managed with mkdir/chown/chmod. */
import { normaliseMode, unchanged, updateOrOk } from '../../src/core/diff.ts';
import { absolutePath, ensure, fileMode, ownerRef } from '../../src/core/schema-fragments.ts';
import type { AttributeChange, Command, CommandResult, DiffResult, Module } from '../../src/core/types.ts';
import {
  assertProbeRan,
  chownSpec,
  listWords,
  ownershipChanges,
  parseStatFields,
  parseWrongType,
  PATH_TYPE_SCRIPT,
  pathEdges,
  refuse,
  STAT_FORMAT,
  type StatFields,
  type WrongType,
  wantedRef,
} from '../file/index.ts';

export interface DirectoryDesired {
  readonly path: string;
  readonly ensure?: 'present' | 'absent';
  /** By name or uid. */
  readonly owner?: string;
  /** By name or gid. */
  readonly group?: string;
  readonly mode?: string;
  /** Create missing parent directories (default true). */
  readonly parents?: boolean;
}

export type DirectoryCurrent = { readonly exists: false } | WrongType<'directory'> | (StatFields & { readonly exists: true; readonly type: 'directory' });

/** Mode given to a new directory when the operator does not manage it. */
const NEW_DIRECTORY_MODE = '0755';

// Absent: no output. Another type: "type <type>". A directory: "directory <owner> <group> <uid> <gid> <mode>".
const PROBE = [
  PATH_TYPE_SCRIPT,
  'if [ "$t" != directory ]; then printf "type %s\\n" "$t"; exit 0; fi',
  `exec stat -c 'directory ${STAT_FORMAT}' -- "$p"`,
].join('\n');

// Checked again when it runs: rm never follows a symlink, but a path that became one is refused, not removed.
const REMOVE = [
  'p=$1',
  'if [ -L "$p" ]; then printf "refusing to remove %s: it is a symbolic link, not a directory\\n" "$p" >&2; exit 1; fi',
  'if [ ! -d "$p" ]; then',
  '  if [ -e "$p" ]; then printf "refusing to remove %s: it is not a directory\\n" "$p" >&2; exit 1; fi',
  '  exit 0',
  'fi',
  'exec rm -rf --one-file-system -- "$p"',
].join('\n');

/**
 * chmod's argument: five digits, because GNU chmod keeps a directory's setuid/setgid bits for a
 * four-digit mode ("0755" leaves a 2755 directory at 2755) and only clears them with a leading zero.
 */
function chmodMode(mode: string): string {
  return `0${normaliseMode(mode)}`;
}

function parseDirectory(stdout: Buffer, path: string): DirectoryCurrent {
  const what = `directory ${path}`;
  const text = stdout.toString('utf8');
  if (text === '') return { exists: false };
  const line = text.endsWith('\n') && text.indexOf('\n') === text.length - 1 ? text.slice(0, -1) : null;
  if (line === null) throw new Error(`unexpected probe output for ${what}: ${JSON.stringify(text.slice(0, 120))}`);
  const wrong = parseWrongType(line, 'directory', what);
  if (wrong) return wrong;
  const words = line.split(' ');
  if (words[0] !== 'directory' || words.length !== 6) throw new Error(`unexpected probe output for ${what}: ${JSON.stringify(line)}`);
  return { exists: true, type: 'directory', ...parseStatFields(words.slice(1), what) };
}

export const directoryModule: Module<DirectoryDesired, DirectoryCurrent> = {
  kind: 'directory',
  summary: 'A directory: owner, group and mode; created with its parents, removed recursively.',
  platforms: ['linux'],
  schema: {
    type: 'object',
    required: ['path'],
    properties: {
      path: absolutePath,
      ensure: { ...ensure, description: 'present (default) creates or updates the directory; absent removes it with everything in it (never through a symbolic link).' },
      owner: { ...ownerRef, description: 'Owning user by name or uid; the user resource of that name is an automatic dependency.' },
      group: { ...ownerRef, description: 'Owning group by name or gid; the group resource of that name is an automatic dependency.' },
      mode: { ...fileMode, description: `${fileMode.description} New directories get ${NEW_DIRECTORY_MODE} when omitted.` },
      parents: { type: 'boolean', default: true, description: 'Create missing parent directories like mkdir -p (they get root-owned 0755). Only used at creation.' },
    },
  },
  sensitiveAttributes: [],
  name: (d) => d.path,
  removal: (d) => ({ path: d.path, ensure: 'absent' }),
  edges: (d) => pathEdges(d),
  probe: (d) => ({ argv: ['sh', '-c', PROBE, 'sh', d.path], label: `read directory ${d.path}` }),

  parse(result: CommandResult, d: DirectoryDesired): DirectoryCurrent {
    assertProbeRan(result, `directory ${d.path}`);
    return parseDirectory(result.stdout, d.path);
  },

  diff(d, c): DiffResult {
    if (d.ensure === 'absent') {
      if (!c.exists) return unchanged(`directory ${d.path} is absent`);
      return { status: 'change', action: 'delete', changes: [{ attribute: 'type', before: c.type, after: undefined }] };
    }
    const mode = d.mode === undefined ? undefined : normaliseMode(d.mode);
    if (!c.exists) {
      const created: AttributeChange[] = [];
      if (d.owner !== undefined) created.push({ attribute: 'owner', before: undefined, after: wantedRef(d.owner) });
      if (d.group !== undefined) created.push({ attribute: 'group', before: undefined, after: wantedRef(d.group) });
      created.push({ attribute: 'mode', before: undefined, after: mode ?? NEW_DIRECTORY_MODE });
      return { status: 'change', action: 'create', changes: created };
    }
    if (c.type !== 'directory') return { status: 'change', action: 'update', changes: [{ attribute: 'type', before: c.type, after: 'directory' }] };
    const checked = [d.owner === undefined ? '' : 'owner', d.group === undefined ? '' : 'group', mode === undefined ? '' : 'mode'].filter(Boolean);
    const reason = checked.length === 0 ? `directory ${d.path} exists (owner, group and mode unmanaged)` : `directory ${d.path} has the desired ${listWords(checked)}`;
    return updateOrOk(ownershipChanges(d, c), reason);
  },

  apply(d, c, diff) {
    if (c.exists && c.type !== 'directory') {
      return diff.action === 'delete'
        ? [refuse(`${d.path} is a ${c.type}, not a directory; a directory resource only removes directories`, `refuse to delete ${c.type} ${d.path}`)]
        : [refuse(`${d.path} is a ${c.type}, not a directory; remove it or change the path`, `refuse to replace ${c.type} ${d.path}`)];
    }
    if (diff.action === 'delete') return [{ argv: ['sh', '-c', REMOVE, 'sh', d.path], label: `delete directory ${d.path}` }];
    const commands: Command[] = [];
    const attrs = new Set(diff.changes.map((ch) => ch.attribute));
    if (diff.action === 'create') {
      commands.push({ argv: ['mkdir', ...(d.parents ?? true ? ['-p'] : []), '--', d.path], label: `create directory ${d.path}` });
    }
    // chown before chmod: changing the owner clears setuid/setgid bits.
    if (attrs.has('owner') || attrs.has('group')) {
      commands.push({ argv: ['chown', '-h', '--', chownSpec(d.owner, d.group), d.path], label: `set ownership of ${d.path}` });
    }
    if (attrs.has('mode')) commands.push({ argv: ['chmod', '--', chmodMode(d.mode ?? NEW_DIRECTORY_MODE), d.path], label: `set mode of ${d.path}` });
    return commands;
  },
};
