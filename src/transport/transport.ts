/**
 * One interface for every way of reaching a host. A transport runs a POSIX sh script (given
 * on the remote shell's stdin, never on its command line) and returns its output.
 */
import type { CommandResult } from '../core/types.ts';

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface Transport {
  /** Inventory name of the host, for messages. */
  readonly host: string;
  /** How many remote executions this transport has started (the plan test counts them). */
  readonly execCount: number;
  /** Open the connection; errors name the host and the fix. Idempotent. */
  connect(): Promise<void>;
  /** Run a script with `sh -s` (through sudo when become is set). */
  runScript(script: string, options?: RunOptions): Promise<CommandResult>;
  close(): Promise<void>;
}

/** A failure to reach or authenticate to a host, as opposed to a command that failed. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
  constructor(
    readonly host: string,
    message: string,
    readonly hint?: string,
    /**
     * The network did not let us reach the SSH server (refused, unreachable, timed out, reset
     * while connecting): trying again later may work. Authentication and host key failures never are.
     */
    readonly transient = false,
  ) {
    super(message);
  }
}

/** The argv a transport runs remotely: sh reading the script from stdin, optionally via sudo. */
export function shellArgv(become: { user?: string } | null): string[] {
  if (!become) return ['sh', '-s'];
  return ['sudo', '-n', ...(become.user ? ['-u', become.user] : []), '--', 'sh', '-s'];
}
