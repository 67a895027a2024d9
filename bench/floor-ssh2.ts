/**
 * The floor: what reading the playbook's state must cost at least. A bare ssh2 client opens one
 * connection per host (all hosts at once), runs one exec of a POSIX sh script that prints the
 * state of everything the playbook manages (stat lines, file contents, getent, systemctl show),
 * and parses it. Host keys are checked, keys parsed once, TCP_NODELAY set, publickey auth only.
 *
 *   node --import tsx bench/floor-ssh2.ts HOSTS.json SCRIPT.sh
 *
 * HOSTS.json: FloorTarget[] (bench/fleet.ts). Prints one summary line; exits 1 if a host failed.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { pathToFileURL } from 'node:url';
import ssh2 from 'ssh2';
import type { FloorTarget } from './fleet.ts';

export interface FloorState {
  readonly users: readonly string[];
  readonly groups: readonly string[];
  readonly directories: readonly string[];
  readonly files: readonly string[];
  readonly services: readonly string[];
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The one script run on each host: every stat first, then the contents through one cat. */
export function floorScript(s: FloorState): string {
  const units = s.services.map((n) => `/etc/systemd/system/${n}.service`);
  const paths = [...s.directories, ...s.files, ...units].map(q).join(' ');
  const lines = [
    'export LC_ALL=C',
    `getent passwd ${s.users.map(q).join(' ')}`,
    `getent group ${s.groups.map(q).join(' ')}`,
    `stat -c 'S %n %F %a %U %G %s' -- ${paths}`,
    'echo C',
    `cat -- ${[...s.files, ...units].map(q).join(' ')}`,
    ...s.services.map((n) => `systemctl show -p LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload -- ${q(`${n}.service`)}`),
    '',
  ];
  return lines.join('\n');
}

interface HostResult {
  readonly ok: boolean;
  readonly bytes: number;
  readonly statLines: number;
  readonly error?: string;
}

function readHost(t: FloorTarget, key: Buffer, script: string): Promise<HostResult> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    const expected = Buffer.from(t.hostKey.split(' ')[1] ?? '', 'base64');
    let settled = false;
    const done = (r: HostResult): void => {
      if (settled) return;
      settled = true;
      client.end();
      resolve(r);
    };
    client.on('error', (e: Error) => done({ ok: false, bytes: 0, statLines: 0, error: e.message }));
    client.on('ready', () => {
      client.exec('sh -s', (err, ch) => {
        if (err) return done({ ok: false, bytes: 0, statLines: 0, error: err.message });
        const out: Buffer[] = [];
        let code: number | null = null;
        ch.on('data', (b: Buffer) => out.push(b));
        ch.stderr.on('data', () => undefined);
        ch.on('exit', (c: number | null) => (code = c));
        ch.on('close', () => {
          const text = Buffer.concat(out).toString('utf8');
          const statLines = text.split('\n').filter((l) => l.startsWith('S /')).length;
          done({ ok: code === 0, bytes: text.length, statLines, ...(code === 0 ? {} : { error: `exit ${code}` }) });
        });
        ch.end(script);
      });
    });
    const sock = netConnect({ host: t.address, port: t.port });
    sock.setNoDelay(true);
    sock.on('error', (e: Error) => done({ ok: false, bytes: 0, statLines: 0, error: e.message }));
    client.connect({
      sock,
      username: t.user,
      privateKey: key,
      readyTimeout: 30_000,
      algorithms: { kex: ['ecdh-sha2-nistp256', 'curve25519-sha256'], serverHostKey: ['ssh-ed25519'] },
      hostVerifier: (k: Buffer): boolean => k.equals(expected),
      authHandler: ['publickey'],
    });
  });
}

async function main(hostsFile: string, scriptFile: string): Promise<number> {
  const targets = JSON.parse(readFileSync(hostsFile, 'utf8')) as FloorTarget[];
  const script = readFileSync(scriptFile, 'utf8');
  const keys = new Map<string, Buffer>();
  for (const t of targets) if (!keys.has(t.privateKeyPath)) keys.set(t.privateKeyPath, readFileSync(t.privateKeyPath));
  const results = await Promise.all(targets.map((t) => readHost(t, keys.get(t.privateKeyPath) as Buffer, script)));
  const failed = results.filter((r) => !r.ok);
  const bytes = results.reduce((n, r) => n + r.bytes, 0);
  console.log(`floor: ${targets.length - failed.length}/${targets.length} hosts read, ${bytes} bytes, ${results[0]?.statLines ?? 0} stat lines per host`);
  for (const f of failed.slice(0, 5)) console.error(`floor: ${f.error ?? 'failed'}`);
  return failed.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [hostsFile, scriptFile] = process.argv.slice(2);
  if (!hostsFile || !scriptFile) {
    console.error('usage: floor-ssh2.ts HOSTS.json SCRIPT.sh');
    process.exit(2);
  }
  main(hostsFile, scriptFile).then((c) => (process.exitCode = c));
}
