/**
 * Typed API over test/harness/hosts.sh: throw-away Debian 12 hosts (systemd as PID 1 + sshd)
 * booted with systemd-nspawn, for end-to-end tests. Needs root; see harnessPrerequisites().
 *
 * Every call runs the script with an argument array (no shell strings) and stdin from /dev/null.
 * The script's env knobs (TESTHOSTS_STATE, TESTHOSTS_CACHE, TESTHOSTS_NET, ...) are inherited
 * from process.env.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TestHost {
  name: string;
  address: string;
  port: number;
  user: string;
  privateKeyPath: string;
  /** "ssh-ed25519 AAAA..." (the host's real key; also in knownHostsPath) */
  hostKey: string;
}

export interface TestFleet {
  hosts: TestHost[];
  knownHostsPath: string;
  sshConfigPath: string;
  stateDir: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const HOSTS_SCRIPT: string = fileURLToPath(new URL('./hosts.sh', import.meta.url));

/** Exit code with which `hosts.sh exec` reports a harness error (host not running, ...). */
const HARNESS_ERROR_CODE = 125;

export function stateDir(): string {
  return process.env['TESTHOSTS_STATE'] ?? '/tmp/provision-testhosts/state';
}

function runScript(args: string[]): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [HOSTS_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    // 'close' (not 'exit'): all output has been read. The script's detached host wrappers do not
    // inherit our pipes, so this does not wait for the hosts.
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === null) {
        reject(new Error(`hosts.sh ${args.join(' ')} killed by ${signal ?? 'signal'}\n${stderr}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

async function runScriptOk(args: string[]): Promise<ExecResult> {
  const r = await runScript(args);
  if (r.code !== 0) {
    throw new Error(`hosts.sh ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  }
  return r;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseHost(v: unknown, i: number): TestHost {
  if (!isRecord(v)) throw new Error(`hosts.json entry ${i} is not an object`);
  const str = (k: string): string => {
    const x = v[k];
    if (typeof x !== 'string' || x === '') throw new Error(`hosts.json entry ${i}: bad ${k}`);
    return x;
  };
  const port = v['port'];
  if (typeof port !== 'number' || !Number.isInteger(port)) throw new Error(`hosts.json entry ${i}: bad port`);
  const hostKey = str('hostKey');
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+$/.test(hostKey)) throw new Error(`hosts.json entry ${i}: bad hostKey`);
  return {
    name: str('name'),
    address: str('address'),
    port,
    user: str('user'),
    privateKeyPath: str('privateKeyPath'),
    hostKey,
  };
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 1) throw new Error(`host index must be an integer >= 1, got ${index}`);
}

/** Ensure hosts 1..n run (surplus hosts are stopped) and answer ssh; returns their description. */
export async function bootHosts(n: number): Promise<TestFleet> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bootHosts: n must be an integer >= 1, got ${n}`);
  await runScriptOk(['up', String(n)]);
  const dir = stateDir();
  const parsed: unknown = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8'));
  if (!Array.isArray(parsed)) throw new Error('hosts.json is not an array');
  const hosts = parsed.map(parseHost);
  if (hosts.length !== n) throw new Error(`hosts.json lists ${hosts.length} hosts, expected ${n}`);
  return {
    hosts,
    knownHostsPath: join(dir, 'known_hosts'),
    sshConfigPath: join(dir, 'ssh_config'),
    stateDir: dir,
  };
}

/** Stop every host and remove what they left (mounts, netns, veths, cgroups, state). */
export async function shutdownHosts(): Promise<void> {
  await runScriptOk(['down']);
}

/**
 * Run cmd (argv, no shell) inside host `index` (1-based) without ssh, as root in the host's
 * namespaces. Resolves with the command's exit code and output; rejects if the host is not running.
 */
export async function hostExec(index: number, cmd: string[]): Promise<ExecResult> {
  checkIndex(index);
  if (cmd.length === 0) throw new Error('hostExec: empty command');
  const r = await runScript(['exec', String(index), ...cmd]);
  if (r.code === HARNESS_ERROR_CODE && r.stderr.startsWith('[hosts.sh ')) {
    throw new Error(`hostExec(${index}): ${r.stderr.trim()}`);
  }
  return r;
}

/** hostExec that must succeed: its trimmed stdout, or an error naming the command, host and stderr. */
export async function hostOutput(index: number, ...cmd: string[]): Promise<string> {
  const r = await hostExec(index, cmd);
  if (r.code !== 0) throw new Error(`${cmd.join(' ')} on host ${index} exited with ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

/** `systemctl reboot` inside host `index`; resolves once it answers ssh from a new PID 1 and has booted. */
export async function rebootHost(index: number): Promise<void> {
  checkIndex(index);
  await runScriptOk(['reboot', String(index)]);
}

const REQUIRED_TOOLS = [
  'bash', 'debootstrap', 'systemd-nspawn', 'ssh', 'ssh-keygen', 'ip', 'mount', 'umount', 'mountpoint',
  'flock', 'nsenter', 'setsid', 'sysctl', 'pgrep', 'timeout',
] as const;

const TOOL_PACKAGE: Record<string, string> = {
  debootstrap: 'debootstrap',
  'systemd-nspawn': 'systemd-container',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  ip: 'iproute2',
  pgrep: 'procps',
  sysctl: 'procps',
};

function onPath(tool: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * What keeps the harness from running here, as human-readable items; [] when nothing is missing.
 * E2E tests must fail (never skip) with this list.
 */
export function harnessPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.platform !== 'linux') missing.push(`Linux (this is ${process.platform})`);
  if (process.getuid?.() !== 0) missing.push('root (run the e2e tests as uid 0)');
  for (const tool of REQUIRED_TOOLS) {
    if (!onPath(tool)) {
      const pkg = TOOL_PACKAGE[tool];
      missing.push(pkg === undefined ? `${tool} on PATH` : `${tool} on PATH (apt-get install -y ${pkg})`);
    }
  }
  const filesystems = readOr('/proc/filesystems', '');
  if (!/\toverlay\n/.test(filesystems) && !onPath('modprobe')) missing.push('overlayfs support in the kernel');
  if (readOr('/proc/self/cgroup', '') === '') missing.push('cgroups (/proc/self/cgroup)');
  try {
    accessSync(HOSTS_SCRIPT, constants.R_OK);
  } catch {
    missing.push(`${HOSTS_SCRIPT} (readable)`);
  }
  return missing;
}
