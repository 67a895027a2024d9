/** Runs the provision CLI as a real subprocess, as an operator would. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const COMPILED = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/**
 * npm test builds dist/ first and sets PROVISION_CLI=dist: the end-to-end suite then runs the
 * compiled CLI an operator installs (and skips tsx's start-up on every call). Run alone, a test
 * uses the sources, so it never runs a stale build.
 */
const argv0: readonly string[] = process.env.PROVISION_CLI === 'dist' ? [COMPILED] : ['--import', 'tsx', SOURCE];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function provision(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...argv0, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** The CLI as a running process, for tests that act while it runs (e.g. kill it mid-apply). */
export function spawnProvision(args: readonly string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [...argv0, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  return child;
}
