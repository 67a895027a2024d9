import { spawn } from 'node:child_process';
import type { CommandResult } from '../core/types.ts';
import { userInfo } from 'node:os';
import { ConnectionError, shellArgv, sudoPasswordError, type RunOptions, type Transport } from './transport.ts';

export interface LocalTransportOptions {
  readonly host: string;
  readonly become: { user?: string } | null;
}

/** Runs scripts on the controller itself with child_process (no shell string built). */
export class LocalTransport implements Transport {
  readonly host: string;
  readonly shell = 'sh' as const;
  #execCount = 0;
  readonly #become: { user?: string } | null;

  constructor(options: LocalTransportOptions) {
    this.host = options.host;
    this.#become = options.become;
  }

  get execCount(): number {
    return this.#execCount;
  }

  async connect(): Promise<void> {}

  runScript(script: string, options: RunOptions = {}): Promise<CommandResult> {
    this.#execCount++;
    const [cmd, ...args] = shellArgv(this.#become) as [string, ...string[]];
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal, timeout: options.timeoutMs });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => reject(new ConnectionError(this.host, `cannot start ${cmd}: ${e.message}`)));
      child.on('close', (code, signal) => {
        const result = { code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
        const sudo = sudoPasswordError(this.host, this.#become, userInfo().username, result);
        if (sudo) reject(sudo);
        else resolve(result);
      });
      child.stdin.on('error', () => {}); // the child may exit before reading all of stdin
      child.stdin.end(script);
    });
  }

  async close(): Promise<void> {}
}
