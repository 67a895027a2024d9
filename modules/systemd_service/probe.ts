/**
 * Reading a service: one `sh -c` script with constant text (the unit name is its only
 * argument) prints `systemctl show`, the unit file and the env file, each as a header line
 * with a byte length followed by exactly that many bytes, so file content can be anything.
 */
import type { Command, CommandResult, HostFacts } from '../../src/core/types.ts';
import { ENV_DIR, UNIT_DIR, type SystemdServiceDesired } from './schema.ts';
import type { UnitModel } from './unit-render.ts';
import { parseEnvFile, parseUnit } from './unit-parse.ts';

export const SHOW_PROPERTIES = 'LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload,MainPID,FragmentPath,DropInPaths';

/**
 * Output: `show <exit code> <bytes>` + systemctl's stdout, then for the unit and the env file
 * either `<tag> file <mode> <uid> <gid> <bytes>` + the content, or `<tag> absent|link|other`,
 * or `<tag> unreadable` (not root: the env directory is 0700).
 * Content is copied once to a private temp file, so its length and bytes always agree.
 */
export const PROBE = [
  't=$(mktemp) || exit 1',
  'trap \'rm -f "$t"\' EXIT',
  `systemctl show -p ${SHOW_PROPERTIES} -- "$1.service" >"$t"`,
  'rc=$?',
  'printf \'show %s %s\\n\' "$rc" "$(wc -c <"$t")"',
  'cat "$t"',
  'frame() {',
  '  if [ -L "$2" ]; then printf \'%s link\\n\' "$1"',
  '  elif [ -d "${2%/*}" ] && [ ! -x "${2%/*}" ]; then printf \'%s unreadable\\n\' "$1"',
  '  elif [ ! -e "$2" ]; then printf \'%s absent\\n\' "$1"',
  '  elif [ -f "$2" ] && [ ! -r "$2" ]; then printf \'%s unreadable\\n\' "$1"',
  '  elif [ -f "$2" ] && m=$(stat -c \'%a %u %g\' -- "$2") && cat -- "$2" >"$t"; then',
  '    printf \'%s file %s %s\\n\' "$1" "$m" "$(wc -c <"$t")"; cat "$t"',
  '  else printf \'%s other\\n\' "$1"; fi',
  '}',
  `frame unit "${UNIT_DIR}/$1.service"`,
  `frame env "${ENV_DIR}/$1.env"`,
].join('\n');

export type PathKind = 'file' | 'absent' | 'link' | 'other';

export interface FileMeta {
  /** Four octal digits, e.g. "0644". */
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
}

export interface ServiceCurrent {
  /** The unit file is a regular file at /etc/systemd/system/<name>.service. */
  readonly exists: boolean;
  readonly unit_path: PathKind;
  readonly unit_file: FileMeta | null;
  /** The unit file in the attribute model (null when it does not exist). */
  readonly unit: UnitModel | null;
  readonly unmanaged_lines: readonly string[];
  readonly env_path: PathKind;
  readonly env_file: FileMeta | null;
  /** The variables of the env file (plain text: the engine redacts by attribute path). */
  readonly environment: Readonly<Record<string, string>> | null;
  readonly load_state: string;
  readonly active_state: string;
  readonly sub_state: string;
  /** systemctl's UnitFileState: enabled, disabled, static, masked, "" (no unit file)... */
  readonly unit_file_state: string;
  readonly enabled: boolean;
  /** active, activating or reloading, but not waiting to be restarted after a crash (auto-restart). */
  readonly running: boolean;
  readonly need_daemon_reload: boolean;
  readonly main_pid: number;
  readonly fragment_path: string;
  readonly drop_in_paths: readonly string[];
}

export class ProbeOutputError extends Error {
  override name = 'ProbeOutputError';
}

export function probe(d: SystemdServiceDesired): Command {
  return { argv: ['sh', '-c', PROBE, 'sh', d.name], label: `read service ${d.name}` };
}

interface Frame {
  readonly tag: string;
  readonly fields: readonly string[];
  readonly body: Buffer | null;
}

function readFrames(out: Buffer): Frame[] {
  const frames: Frame[] = [];
  let pos = 0;
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    if (nl < 0) throw new ProbeOutputError(`truncated header at byte ${pos}`);
    const [tag = '', ...fields] = out.subarray(pos, nl).toString('utf8').trim().split(/\s+/);
    pos = nl + 1;
    const sized = tag === 'show' || fields[0] === 'file';
    if (!sized) {
      frames.push({ tag, fields, body: null });
      continue;
    }
    const len = Number(fields[fields.length - 1]);
    if (!Number.isSafeInteger(len) || len < 0 || pos + len > out.length) throw new ProbeOutputError(`bad length in frame "${tag}"`);
    frames.push({ tag, fields, body: out.subarray(pos, pos + len) });
    pos += len;
  }
  return frames;
}

/** `systemctl show` prints Key=value lines in its own order: read them as a map. */
export function parseShow(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return props;
}

function fileFrame(frame: Frame | undefined): { kind: PathKind; meta: FileMeta | null; text: string | null } {
  if (frame === undefined) throw new ProbeOutputError('missing file frame');
  const kind = frame.fields[0];
  if (kind === 'file' && frame.body !== null) {
    const [, mode = '', uid = '', gid = ''] = frame.fields;
    if (!/^[0-7]{1,4}$/.test(mode)) throw new ProbeOutputError(`bad mode ${JSON.stringify(mode)}`);
    return { kind, meta: { mode: mode.padStart(4, '0'), uid: Number(uid), gid: Number(gid) }, text: frame.body.toString('utf8') };
  }
  if (kind === 'absent' || kind === 'link' || kind === 'other') return { kind, meta: null, text: null };
  if (kind === 'unreadable') throw new ProbeOutputError(`cannot read the ${frame.tag} file: the probe must run as root`);
  throw new ProbeOutputError(`bad file frame ${JSON.stringify([frame.tag, ...frame.fields])}`);
}

export function parse(result: CommandResult, facts?: HostFacts): ServiceCurrent {
  if (result.code !== 0) throw new ProbeOutputError(`probe failed (exit ${result.code}): ${result.stderr.toString('utf8').trim()}`);
  const frames = readFrames(result.stdout);
  const show = frames.find((f) => f.tag === 'show');
  if (show?.body == null) throw new ProbeOutputError('missing systemctl show output');
  // Without systemd as PID 1 (a container, a build machine) nothing runs or is enabled: the plan
  // still shows what the unit needs; apply will fail at systemctl with systemd's own message.
  const noSystemd = facts !== undefined && facts.systemdVersion === null;
  if (show.fields[0] !== '0' && !noSystemd) {
    throw new ProbeOutputError(`systemctl show failed (exit ${show.fields[0]}): ${result.stderr.toString('utf8').trim() || 'is systemd running?'}`);
  }
  const props = noSystemd && show.fields[0] !== '0' ? new Map<string, string>() : parseShow(show.body.toString('utf8'));
  const unitFile = fileFrame(frames.find((f) => f.tag === 'unit'));
  const envFile = fileFrame(frames.find((f) => f.tag === 'env'));
  const parsed = unitFile.text === null ? null : parseUnit(unitFile.text);
  const active = props.get('ActiveState') ?? '';
  const unitFileState = props.get('UnitFileState') ?? '';
  return {
    exists: unitFile.kind === 'file',
    unit_path: unitFile.kind,
    unit_file: unitFile.meta,
    unit: parsed?.unit ?? null,
    unmanaged_lines: parsed?.unmanaged_lines ?? [],
    env_path: envFile.kind,
    env_file: envFile.meta,
    environment: envFile.text === null ? null : parseEnvFile(envFile.text),
    load_state: props.get('LoadState') ?? '',
    active_state: active,
    sub_state: props.get('SubState') ?? '',
    unit_file_state: unitFileState,
    enabled: unitFileState === 'enabled',
    running: ['active', 'activating', 'reloading'].includes(active) && props.get('SubState') !== 'auto-restart',
    need_daemon_reload: props.get('NeedDaemonReload') === 'yes',
    main_pid: Number(props.get('MainPID') ?? '0') || 0,
    fragment_path: props.get('FragmentPath') ?? '',
    drop_in_paths: (props.get('DropInPaths') ?? '').split(' ').filter((p) => p !== ''),
  };
}
