/**
 * Ansible as the comparison: Debian's ansible-core (installed with apt-get when missing), the
 * playbook bench/ansible/service20.yml and the tuned bench/ansible/ansible.cfg.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('./ansible/', import.meta.url));
export const ANSIBLE_PLAYBOOK = `${DIR}service20.yml`;
export const ANSIBLE_FORKS = 50;

export function ensureAnsible(): void {
  if (existsSync('/usr/bin/ansible-playbook')) return;
  console.error('[bench] ansible-playbook missing: apt-get install -y ansible-core');
  const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'ansible-core'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('cannot install ansible-core with apt-get');
}

export function ansibleVersion(): string {
  const r = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
  return (r.stdout.split('\n')[0] ?? '').trim();
}

export function ansibleEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ANSIBLE_CONFIG: `${DIR}ansible.cfg`, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' };
}

/** The timed command: a read-only check of the converged hosts. */
export function checkArgv(inventory: string, extra: readonly string[] = []): string[] {
  return ['ansible-playbook', '--check', '-i', inventory, '-f', String(ANSIBLE_FORKS), ...extra, ANSIBLE_PLAYBOOK];
}

export function applyArgv(inventory: string): string[] {
  return ['ansible-playbook', '-i', inventory, '-f', String(ANSIBLE_FORKS), ANSIBLE_PLAYBOOK];
}

export interface Recap {
  readonly hosts: number;
  readonly ok: number;
  readonly changed: number;
  readonly failed: number;
  readonly unreachable: number;
}

/** Totals of the PLAY RECAP lines. */
export function parseRecap(stdout: string): Recap {
  const r = { hosts: 0, ok: 0, changed: 0, failed: 0, unreachable: 0 };
  for (const m of stdout.matchAll(/^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    r.hosts++;
    r.ok += Number(m[1]);
    r.changed += Number(m[2]);
    r.unreachable += Number(m[3]);
    r.failed += Number(m[4]);
  }
  return r;
}

/** ssh executions per host, counted from -vvv output of a check on one host. */
export function execsPerHost(inventory: string, host: string): number {
  const r = spawnSync('ansible-playbook', [...checkArgv(inventory, ['-vvv', '--limit', host])].slice(1), { encoding: 'utf8', env: ansibleEnv(), maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ansible-playbook -vvv failed: ${r.stderr}${r.stdout.slice(-2000)}`);
  return (r.stdout.match(/SSH: EXEC ssh /g) ?? []).length;
}
