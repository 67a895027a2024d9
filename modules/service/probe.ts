/**
 * One probe reads every method's registration of a service, so that diff can plan the removal
 * of registrations of other methods: the systemd unit and env file (systemd_service's own probe),
 * the spec file and the respawn wrapper, the wrapper's pid file, /etc/init.d/<name> and its rc
 * links, crontab lines carrying the marker, the supervisor program file and `supervisorctl status`.
 *
 * Output: sections `<tag> <exit code> <bytes>\n` followed by exactly that many bytes.
 */
import type { Command, CommandResult, HostFacts } from '../../src/core/types.ts';
import { parse as parseSystemd, PROBE as SYSTEMD_PROBE, type ServiceCurrent as SystemdCurrent } from '../systemd_service/probe.ts';
import { RESPAWN_PATH } from './respawn.ts';
import { settings, type ServiceDesired } from './schema.ts';
import { pidPath, specPath, stateDir } from './spec.ts';

export const INITD_DIR = '/etc/init.d';
export const SUPERVISOR_DIR = '/etc/supervisor/conf.d';
export const CRONTABS = '/var/spool/cron/crontabs';
export const marker = (name: string): string => `# provision:service:${name}`;

export const PROBE = [
  't=$(mktemp) || exit 1',
  'trap \'rm -f "$t"\' EXIT',
  'n=$1',
  'sec() { tag=$1; shift; "$@" >"$t" 2>/dev/null; rc=$?; printf \'%s %s %s\\n\' "$tag" "$rc" "$(wc -c <"$t")"; cat "$t"; }',
  'stat_of() { [ -e "$1" ] && stat -c \'%a %u %g %U %G %F\' -- "$1"; }',
  'sec systemd sh -c "$2" sh "$n"',
  `sec spec cat -- "${specPath('$n')}"`,
  `sec spec_stat stat_of "${specPath('$n')}"`,
  `sec state_stat stat_of "${stateDir('$n')}"`,
  `sec wrapper sha256sum -- ${RESPAWN_PATH}`,
  `sec pid sh -c 'p=$(cat -- "$1") && [ -n "$p" ] && kill -0 "$p" && tr "\\0" " " <"/proc/$p/cmdline" | grep -q -F "respawn $2" && echo "$p"' sh "${pidPath('$n')}" "${specPath('$n')}"`,
  `sec initd cat -- "${INITD_DIR}/$n"`,
  'sec rc sh -c \'for f in /etc/rc[0-6S].d/[SK][0-9][0-9]"$1"; do [ -L "$f" ] && echo "$f"; done; true\' sh "$n"',
  `sec cron sh -c 'cd ${CRONTABS} 2>/dev/null || exit 0; for u in *; do [ -f "$u" ] || continue; grep -F -e "$1" -- "$u" | sed "s|^|$u |"; done; true' sh "${marker('$n')}"`,
  `sec sup_conf cat -- "${SUPERVISOR_DIR}/$n.conf"`,
  `sec sup_stat stat_of "${SUPERVISOR_DIR}/$n.conf"`,
  'sec sup_ctl command -v supervisorctl',
  `if [ -f "${SUPERVISOR_DIR}/$n.conf" ] && command -v supervisorctl >/dev/null; then sec sup_status supervisorctl status "$n:*"; fi`,
  'if [ -n "$3" ]; then sec log_stat stat_of "$3"; fi',
  'exit 0',
].join('\n');

export interface Meta {
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  readonly owner: string;
  readonly group: string;
  readonly type: string;
}

export interface CronLine {
  readonly user: string;
  readonly line: string;
}

export interface SupervisorProcess {
  readonly name: string;
  readonly state: string;
  readonly pid: number;
}

export interface ServiceCurrent {
  readonly systemd_version: number | null;
  readonly systemd: SystemdCurrent;
  readonly spec: string | null;
  readonly spec_meta: Meta | null;
  readonly state_dir: Meta | null;
  /** sha256 of the installed respawn wrapper, or null. */
  readonly wrapper_sha256: string | null;
  /** pid of the live respawn wrapper of this service, or null. */
  readonly wrapper_pid: number | null;
  readonly initd: string | null;
  readonly rc_links: readonly string[];
  readonly cron: readonly CronLine[];
  readonly supervisor_conf: string | null;
  readonly supervisor_meta: Meta | null;
  readonly supervisor_installed: boolean;
  readonly supervisor_status: readonly SupervisorProcess[];
  readonly log_dir: Meta | null;
}

export function probe(d: ServiceDesired): Command {
  const s = settings(d);
  return { argv: ['sh', '-c', PROBE, 'sh', d.name, SYSTEMD_PROBE, s.log === 'files' ? s.logDirectory : ''], label: `read service ${d.name}` };
}

interface Section {
  readonly rc: number;
  readonly body: Buffer;
}

function sections(out: Buffer): Map<string, Section> {
  const map = new Map<string, Section>();
  let pos = 0;
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    if (nl < 0) throw new Error(`truncated probe output at byte ${pos}`);
    const [tag = '', rc = '', len = ''] = out.subarray(pos, nl).toString('utf8').split(' ');
    const n = Number(len);
    if (!/^\d+$/.test(rc) || !/^\d+$/.test(len) || nl + 1 + n > out.length) throw new Error(`bad probe section header ${JSON.stringify(out.subarray(pos, nl).toString('utf8'))}`);
    map.set(tag, { rc: Number(rc), body: out.subarray(nl + 1, nl + 1 + n) });
    pos = nl + 1 + n;
  }
  return map;
}

function text(s: Section | undefined): string | null {
  return s && s.rc === 0 ? s.body.toString('utf8') : null;
}

function meta(s: Section | undefined): Meta | null {
  const t = text(s)?.trim();
  if (!t) return null;
  const [mode = '', uid = '', gid = '', owner = '', group = '', ...type] = t.split(' ');
  return { mode: mode.padStart(4, '0'), uid: Number(uid), gid: Number(gid), owner, group, type: type.join(' ') };
}

/** `supervisorctl status` lines: "name:name_0   RUNNING   pid 12, uptime 0:00:03". */
export function parseSupervisorStatus(t: string): SupervisorProcess[] {
  const out: SupervisorProcess[] = [];
  for (const line of t.split('\n')) {
    const m = /^(\S+)\s+([A-Z]+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const pid = /pid (\d+)/.exec(m[3] ?? '');
    out.push({ name: m[1] as string, state: m[2] as string, pid: pid ? Number(pid[1]) : 0 });
  }
  return out;
}

export function parse(result: CommandResult, d: ServiceDesired, facts: HostFacts): ServiceCurrent {
  if (result.code !== 0) throw new Error(`probe failed (exit ${result.code}): ${result.stderr.toString('utf8').trim()}`);
  const sec = sections(result.stdout);
  const sd = sec.get('systemd');
  if (!sd) throw new Error('missing systemd section');
  const systemd = parseSystemd({ code: sd.rc, stdout: sd.body, stderr: Buffer.alloc(0) }, facts);
  const pid = text(sec.get('pid'))?.trim();
  const m = marker(d.name);
  const cron = (text(sec.get('cron')) ?? '')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => ({ user: l.slice(0, l.indexOf(' ')), line: l.slice(l.indexOf(' ') + 1) }))
    .filter((c) => c.line.endsWith(` ${m}`) && !c.line.startsWith('#'));
  const supStatus = text(sec.get('sup_status')) ?? (sec.get('sup_status')?.body.toString('utf8') ?? '');
  return {
    systemd_version: facts.systemdVersion,
    systemd,
    spec: text(sec.get('spec')),
    spec_meta: meta(sec.get('spec_stat')),
    state_dir: meta(sec.get('state_stat')),
    wrapper_sha256: text(sec.get('wrapper'))?.split(' ')[0] ?? null,
    wrapper_pid: pid && /^\d+$/.test(pid) ? Number(pid) : null,
    initd: text(sec.get('initd')),
    rc_links: (text(sec.get('rc')) ?? '').split('\n').filter((l) => l !== ''),
    cron,
    supervisor_conf: text(sec.get('sup_conf')),
    supervisor_meta: meta(sec.get('sup_stat')),
    supervisor_installed: sec.get('sup_ctl')?.rc === 0,
    supervisor_status: parseSupervisorStatus(supStatus).filter((p) => p.name === d.name || p.name.startsWith(`${d.name}:`)),
    log_dir: meta(sec.get('log_stat')),
  };
}
