/**
 * Measures one command run as a subprocess: wall time, CPU seconds of everything it started
 * (including detached children such as ssh ControlPersist masters), the peak RSS of its largest
 * process, and the CPU the test hosts spent meanwhile.
 *
 * CPU: the command runs in a fresh cgroup v2 (the unified hierarchy) whose cpu.stat counts every
 * descendant, detached or not. Without a writable cgroup v2 it falls back to /usr/bin/time's
 * user+sys, which only counts the children that were waited for.
 * Peak RSS: /usr/bin/time's %M (getrusage RUSAGE_CHILDREN ru_maxrss: the largest single process).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Sample {
  readonly wallS: number;
  /** user+sys of the command and all its descendants. */
  readonly cpuS: number;
  /** Where cpuS came from. */
  readonly cpuSource: 'cgroup' | 'rusage';
  /** Largest single process's peak RSS. */
  readonly peakRssMiB: number;
  /** CPU used inside the test hosts (sshd, shells, modules) during the run; null when unknown. */
  readonly hostCpuS: number | null;
  readonly exitCode: number;
  readonly stderrTail: string;
}

export interface MeasureOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** stdout goes here (a file path), or to /dev/null. */
  readonly stdoutFile?: string;
  /** cgroup v2 directories of the hosts whose CPU to add up (see hostCgroups()). */
  readonly hostCgroups?: readonly string[];
}

const TIME = '/usr/bin/time';
const UNIFIED = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => existsSync(join(d, 'cgroup.procs')) && existsSync(join(d, 'cgroup.subtree_control')));
const BENCH_CGROUP = UNIFIED ? join(UNIFIED, 'provision-bench') : undefined;
let runCounter = 0;

/** Installs GNU time with apt-get when /usr/bin/time is missing. */
export function ensureGnuTime(): void {
  if (existsSync(TIME)) return;
  console.error('[bench] /usr/bin/time missing: apt-get install -y time');
  const r = spawnSync('apt-get', ['install', '-y', '-q', 'time'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0 || !existsSync(TIME)) throw new Error('cannot install GNU time (apt-get install -y time)');
}

/** cgroup v2 cpu.stat usage in seconds, or null when unreadable. */
function cgroupCpuS(dir: string): number | null {
  try {
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'));
    return m ? Number(m[1]) / 1e6 : null;
  } catch {
    return null;
  }
}

function sumCpuS(dirs: readonly string[]): number | null {
  let total = 0;
  for (const d of dirs) {
    const v = cgroupCpuS(d);
    if (v === null) return null;
    total += v;
  }
  return total;
}

/** The cgroup v2 directories the test harness keeps each host's processes in. */
export function hostCgroups(names: readonly string[]): string[] {
  if (!UNIFIED) return [];
  const dirs = names.map((n) => join(UNIFIED, 'provision-testhosts', n));
  return dirs.every((d) => existsSync(join(d, 'cpu.stat'))) ? dirs : [];
}

function newCgroup(): string | undefined {
  if (!BENCH_CGROUP) return undefined;
  try {
    const dir = join(BENCH_CGROUP, `run-${process.pid}-${++runCounter}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return undefined;
  }
}

function pidsIn(cg: string): number[] {
  return readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter((l) => l !== '').map(Number);
}

/** Ends what the command left running in its cgroup (e.g. ssh ControlPersist masters), pid by pid, then removes the cgroup. */
async function dropCgroup(cg: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const pids = pidsIn(cg);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, i < 25 ? 'SIGTERM' : 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
  try {
    rmdirSync(cg);
  } catch {
    // still busy: left for the next run's cleanup
  }
}

/** Removes cgroups left by earlier runs that crashed (only empty ones). */
export function cleanStaleCgroups(): void {
  if (!BENCH_CGROUP || !existsSync(BENCH_CGROUP)) return;
  for (const d of readdirSync(BENCH_CGROUP)) {
    try {
      rmdirSync(join(BENCH_CGROUP, d));
    } catch {
      // not empty: someone's run is in progress
    }
  }
}

export async function measure(argv: readonly string[], options: MeasureOptions = {}): Promise<Sample> {
  if (argv.length === 0) throw new Error('measure: empty command');
  const work = mkdtempSync(join(tmpdir(), 'provision-bench-'));
  const timeFile = join(work, 'time');
  const cg = newCgroup();
  // sh puts itself into the cgroup, then becomes GNU time, which runs the command.
  const wrapper = 'if [ -n "$1" ]; then echo $$ > "$1/cgroup.procs" || exit 99; fi; t=$2; shift 2; exec /usr/bin/time -f "%e %U %S %M" -o "$t" -- "$@"';
  const out = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'ignore';
  const hostsBefore = sumCpuS(options.hostCgroups ?? []);
  const t0 = process.hrtime.bigint();
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    const child = spawn('sh', ['-c', wrapper, 'sh', cg ?? '', timeFile, ...argv], {
      env: options.env ?? process.env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ['ignore', out, 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (c: number | null) => {
      resolve({ code: c ?? 128, stderr: err });
    });
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (typeof out === 'number') closeSync(out);
  const hostsAfter = sumCpuS(options.hostCgroups ?? []);
  const cgCpu = cg ? cgroupCpuS(cg) : null;
  if (cg) await dropCgroup(cg);
  const fields = readFileSync(timeFile, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
  rmSync(work, { recursive: true, force: true });
  const [, user = NaN, sys = NaN, maxKiB = NaN] = fields;
  return {
    wallS,
    cpuS: cgCpu ?? user + sys,
    cpuSource: cgCpu === null ? 'rusage' : 'cgroup',
    peakRssMiB: maxKiB / 1024,
    hostCpuS: hostsBefore === null || hostsAfter === null || (options.hostCgroups ?? []).length === 0 ? null : hostsAfter - hostsBefore,
    exitCode: code,
    stderrTail: stderr.replace(/^.*Command exited with non-zero status.*$/m, '').trim(),
  };
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
