/**
 * One interface for every way of reaching a host. A transport runs a script in its shell (POSIX
 * sh, or PowerShell through powershell-bootstrap.ts), given on stdin, never on its command
 * line, and returns its output.
 */
import type { CommandResult } from '../core/types.ts';

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface Transport {
  /** Inventory name of the host, for messages. */
  readonly host: string;
  /** The language runScript speaks: POSIX sh (Linux hosts) or PowerShell (Windows hosts). */
  readonly shell: 'sh' | 'powershell';
  /** How many remote executions this transport has started (the plan test counts them). */
  readonly execCount: number;
  /** Open the connection; errors name the host and the fix. Idempotent. */
  connect(): Promise<void>;
  /** Run a script: `sh -s` (through sudo when become is set), or PowerShell through the bootstrap. */
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

/**
 * sudo -n fails with "a password is required" (or "a terminal is required" for some
 * configurations) when the login user has no NOPASSWD rule: an error that says how to fix it.
 */
export function sudoPasswordError(host: string, become: { user?: string } | null, loginUser: string, result: CommandResult): ConnectionError | null {
  if (!become || result.code !== 1 || !/a password is required|a terminal is required/.test(result.stderr.toString('utf8'))) return null;
  const who = become.user ?? 'root';
  return new ConnectionError(
    host,
    `${host}: sudo needs a password to run as ${who} (become is set, and provision only uses non-interactive sudo -n)`,
    `allow passwordless sudo for ${loginUser}, e.g. the line "${loginUser} ALL=(${who}) NOPASSWD: ALL" in /etc/sudoers.d/provision (edit it with visudo)`,
  );
}
