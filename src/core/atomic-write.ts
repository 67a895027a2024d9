/**
 * The one way modules write a file on a Linux host: content on stdin into a temp file in the
 * same directory, ownership and mode set on the temp file, then rename over the target, so a
 * reader never sees a half-written file and a failure leaves the old one in place.
 */
import type { Command } from './types.ts';

/** $1 path, $2 owner, $3 group ('' = keep the old file's, or the writer's), $4 mode ('' = keep), $5 '1' = create the parent directory. */
const WRITE = [
  'p=$1 o=$2 g=$3 m=$4 d=${1%/*}',
  'if [ -L "$p" ] || { [ -e "$p" ] && [ ! -f "$p" ]; }; then',
  '  printf "%s exists and is not a regular file; remove it or change the path\\n" "$p" >&2; exit 1',
  'fi',
  'if [ "$5" = 1 ]; then mkdir -p -- "${d:-/}" || exit 1; fi',
  'if [ ! -d "${d:-/}" ]; then',
  '  printf "cannot write %s: directory %s does not exist (declare a directory resource for it)\\n" "$p" "${d:-/}" >&2; exit 1',
  'fi',
  't=$(mktemp -- "$d/.provision.XXXXXXXXXX") || exit 1',
  'trap \'rm -f -- "$t"\' EXIT',
  "trap 'exit 1' HUP INT TERM",
  'cat >"$t" || exit 1',
  'if [ -f "$p" ]; then chown --reference="$p" -- "$t" || exit 1; fi',
  'if [ -n "$o$g" ]; then chown -- "$o${g:+:$g}" "$t" || exit 1; fi',
  'if [ -n "$m" ]; then chmod -- "$m" "$t"',
  'elif [ -f "$p" ]; then chmod --reference="$p" -- "$t"',
  'else chmod 0644 "$t"; fi || exit 1',
  'mv -f -T -- "$t" "$p" || exit 1',
  'trap - EXIT',
].join('\n');

export interface AtomicWriteOptions {
  /** As chown takes it (a name, or +N for an id); '' or undefined keeps the current owner. */
  readonly owner?: string;
  readonly group?: string;
  /** Octal, e.g. "0640"; undefined keeps the current mode (0644 for a new file). */
  readonly mode?: string;
  /** Create the parent directory when missing (for engine-owned paths, not operator files). */
  readonly createParent?: boolean;
  readonly label?: string;
}

export function atomicWrite(path: string, content: string | Buffer, options: AtomicWriteOptions = {}): Command {
  return {
    argv: ['sh', '-c', WRITE, 'sh', path, options.owner ?? '', options.group ?? '', options.mode ?? '', options.createParent ? '1' : ''],
    stdin: content,
    label: options.label ?? `write ${path}`,
  };
}
