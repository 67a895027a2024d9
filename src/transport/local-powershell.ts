/**
 * PowerShell on a Windows controller itself, through one node-powershell session per run.
 * node-powershell feeds commands to `powershell -Command -` on its stdin; each script goes as
 * base64 data inside a fixed wrapper (ASCII only, so it cannot break out of its quotes), runs as
 * a script block, and reports its exit code on a line marked with a per-run nonce.
 * Unverified: this machine has no powershell/pwsh; only the wrapper and its parsing are tested.
 */
import { randomBytes } from 'node:crypto';
import type { PowerShell, PowerShellOptions } from 'node-powershell';
import type { CommandResult } from '../core/types.ts';
import { decodeStderr } from './winrm/clixml.ts';
import { ConnectionError, type RunOptions, type Transport } from './transport.ts';

export interface LocalPowerShellOptions {
  readonly host: string;
  /** powershell (Windows PowerShell 5.1, the default on Windows) or pwsh. */
  readonly executable?: string;
}

/** The text node-powershell sends for one script. */
export function localInvocation(script: string, nonce: string): string {
  if (!/^[A-Za-z0-9@_-]+$/.test(nonce)) throw new Error('internal: bad nonce');
  const b64 = Buffer.from(script, 'utf8').toString('base64');
  return [
    '& {',
    "$ProgressPreference = 'SilentlyContinue'",
    '$global:LASTEXITCODE = 0',
    '$__code = 0',
    `$__script = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64}'))`,
    'try { & ([ScriptBlock]::Create($__script)) } catch { [Console]::Error.WriteLine($_.ToString()); $__code = 1 }',
    'if ($__code -eq 0 -and $global:LASTEXITCODE) { $__code = [int]$global:LASTEXITCODE }',
    `[Console]::Out.WriteLine('${nonce} EXIT ' + $__code)`,
    '}',
  ].join('\n');
}

/** Splits the wrapper's exit line off the output; a missing line means the script ended the session. */
export function parseLocalInvocation(stdout: Buffer, stderr: Buffer, nonce: string): CommandResult | undefined {
  const text = stdout.toString('utf8');
  const m = new RegExp(`(?:^|(?<=\\n))${nonce} EXIT (-?\\d+)\\r?\\n?$`).exec(text);
  if (!m) return undefined;
  return { code: Number(m[1]), stdout: Buffer.from(text.slice(0, m.index), 'utf8'), stderr };
}

/** How the session is started: `<executable> -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -NoExit -Command -`. */
export function localSessionOptions(executable: string | undefined): PowerShellOptions {
  return {
    ...(executable ? { executable } : {}),
    executableOptions: { '-NoProfile': true, '-NonInteractive': true, '-ExecutionPolicy': 'Bypass' },
    throwOnInvocationError: false,
  };
}

export class LocalPowerShellTransport implements Transport {
  readonly host: string;
  readonly shell = 'powershell';
  #execCount = 0;
  readonly #o: LocalPowerShellOptions;
  #session: PowerShell | undefined;

  constructor(options: LocalPowerShellOptions) {
    this.host = options.host;
    this.#o = options;
  }

  get execCount(): number {
    return this.#execCount;
  }

  async connect(): Promise<void> {
    await this.#shellSession();
  }

  async runScript(script: string, options: RunOptions = {}): Promise<CommandResult> {
    options.signal?.throwIfAborted();
    const session = await this.#shellSession();
    this.#execCount++;
    const nonce = `@@provision-${randomBytes(12).toString('hex')}`;
    let result;
    try {
      result = await session.invoke(localInvocation(script, nonce));
    } catch (err) {
      this.#session = undefined;
      throw new ConnectionError(this.host, `${this.host}: local PowerShell failed: ${err instanceof Error ? err.message : String(err)}`, 'install PowerShell (powershell.exe on Windows, or pwsh) and make sure it is on PATH');
    }
    const stderr = decodeStderr(result.stderr ?? Buffer.alloc(0));
    const parsed = parseLocalInvocation(result.stdout ?? Buffer.alloc(0), stderr, nonce);
    if (!parsed) {
      // The script called `exit`, which ends the session itself; the next script starts a new one.
      await this.close();
      throw new ConnectionError(this.host, `${this.host}: the local PowerShell session ended during the script (did it call exit?)`, 'end scripts with return or throw instead of exit when they run through the local transport');
    }
    return parsed;
  }

  async close(): Promise<void> {
    const s = this.#session;
    this.#session = undefined;
    await s?.dispose().catch(() => undefined);
  }

  /** node-powershell is loaded only when a host uses this transport (it is not needed on Linux). */
  async #shellSession(): Promise<PowerShell> {
    if (this.#session) return this.#session;
    const { PowerShell: Session } = await import('node-powershell');
    this.#session = new Session(localSessionOptions(this.#o.executable));
    return this.#session;
  }
}
