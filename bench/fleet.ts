/**
 * The benchmark's own test hosts (a separate harness instance, so e2e runs using the default
 * one are not disturbed) and the inventories that point provision, Ansible and the ssh2 floor at
 * the first N of them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootHosts, HOSTS_SCRIPT, shutdownHosts, type TestFleet, type TestHost } from '../test/harness/hosts.ts';

/** Harness knobs for the benchmark's hosts; each can be overridden from the environment. */
export const HARNESS_ENV = {
  TESTHOSTS_STATE: '/tmp/provision-bench/state',
  TESTHOSTS_NET: '10.213.0',
  TESTHOSTS_PREFIX: 'pb',
} as const;

/**
 * Refuses a subnet another harness instance already uses: two bridges with the same /24 make
 * the kernel route both instances' traffic to one of them (each side's hosts then reject the
 * other's keys, and its boot waits until it times out).
 */
export function checkSubnetFree(): void {
  const net = process.env['TESTHOSTS_NET'] ?? '';
  const ours = `${process.env['TESTHOSTS_PREFIX'] ?? ''}br0`;
  const out = spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout;
  for (const line of out.split('\n')) {
    const [, dev = '', , addr = ''] = line.split(/\s+/);
    if (dev !== ours && addr.startsWith(`${net}.`)) {
      throw new Error(`${dev} already has ${addr}: another harness instance uses ${net}.0/24; set TESTHOSTS_NET to a free /24`);
    }
  }
}

export function useBenchHarness(): void {
  for (const [k, v] of Object.entries(HARNESS_ENV)) process.env[k] ??= v;
}

/** Output of `hosts.sh status` for the benchmark's harness instance. */
export function harnessStatus(): string {
  return spawnSync('bash', [HOSTS_SCRIPT, 'status'], { encoding: 'utf8', env: process.env }).stdout;
}

/** Boots (or reuses) hosts 1..n. */
export async function startFleet(n: number): Promise<TestFleet> {
  checkSubnetFree();
  return bootHosts(n);
}

export async function stopFleet(): Promise<void> {
  await shutdownHosts();
}

/** The host variable the templated file uses. */
export function rackOf(host: TestHost, i: number): string {
  return `r${(i % 4) + 1}-${host.name}`;
}

/** A provision inventory for the first n hosts. */
export function writeProvisionInventory(fleet: TestFleet, n: number, dir: string): string {
  const key = fleet.hosts[0]?.privateKeyPath ?? '';
  const hosts = fleet.hosts.slice(0, n).map((h, i) => `    ${h.name}: { address: ${h.address}, vars: { rack: ${rackOf(h, i)} } }`);
  const text = [
    'all:',
    '  connection:',
    '    user: root',
    `    identity_file: ${key}`,
    `    known_hosts_file: ${fleet.knownHostsPath}`,
    '    ssh_config_file: null',
    '    connect_timeout: 20',
    '  hosts:',
    ...hosts,
    '',
  ].join('\n');
  return writeIn(dir, `inventory-${n}.yml`, text);
}

/** An Ansible INI inventory for the first n hosts (strict host key checking against the harness's known_hosts). */
export function writeAnsibleInventory(fleet: TestFleet, n: number, dir: string): string {
  const key = fleet.hosts[0]?.privateKeyPath ?? '';
  const lines = fleet.hosts.slice(0, n).map((h, i) => `${h.name} ansible_host=${h.address} rack=${rackOf(h, i)}`);
  const text = [
    '[all]',
    ...lines,
    '',
    '[all:vars]',
    'ansible_user=root',
    `ansible_ssh_private_key_file=${key}`,
    `ansible_ssh_extra_args='-o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${fleet.knownHostsPath}'`,
    'ansible_python_interpreter=/usr/bin/python3',
    '',
  ].join('\n');
  return writeIn(dir, `ansible-hosts-${n}.ini`, text);
}

export interface FloorTarget {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly privateKeyPath: string;
  /** "ssh-ed25519 AAAA..." */
  readonly hostKey: string;
}

/** The floor's host list (JSON) for the first n hosts. */
export function writeFloorTargets(fleet: TestFleet, n: number, dir: string): string {
  const targets: FloorTarget[] = fleet.hosts.slice(0, n).map((h) => ({ name: h.name, address: h.address, port: h.port, user: h.user, privateKeyPath: h.privateKeyPath, hostKey: h.hostKey }));
  return writeIn(dir, `floor-hosts-${n}.json`, JSON.stringify(targets, null, 1) + '\n');
}

function writeIn(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
