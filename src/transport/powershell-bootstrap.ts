/**
 * How every Windows transport runs a PowerShell script of any length: a fixed bootstrap goes on
 * the command line as -EncodedCommand (a few hundred characters, far below cmd.exe's 8191), and
 * the real script follows on stdin as base64 text, so stdin carries ASCII only whatever the code
 * page. The bootstrap decodes it as UTF-8 and runs it as a script block.
 */

/**
 * Exit codes: the script's own `exit N` ends powershell.exe with N; a terminating error prints it
 * to stderr and exits 1; otherwise the last native program's exit code, or 0.
 */
export const BOOTSTRAP_SCRIPT = [
  "$ProgressPreference = 'SilentlyContinue'",
  "$provisionB64 = [string]::Join('', @($input))",
  '$provisionScript = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($provisionB64))',
  '$global:LASTEXITCODE = 0',
  'try { & ([ScriptBlock]::Create($provisionScript)) } catch { [Console]::Error.WriteLine($_.ToString()); exit 1 }',
  'exit $global:LASTEXITCODE',
].join('\r\n');

export const POWERSHELL_EXE = 'powershell.exe';
export const POWERSHELL_ARGS_BEFORE_COMMAND = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand'] as const;

/** base64 of the UTF-16LE text, as powershell.exe -EncodedCommand expects. */
export function encodeCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

export interface BootstrapCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** command and args as one line (cmd.exe / OpenSSH's default shell); nothing in it needs quoting. */
  readonly commandLine: string;
}

export function bootstrapCommand(executable: string = POWERSHELL_EXE): BootstrapCommand {
  const args = [...POWERSHELL_ARGS_BEFORE_COMMAND, encodeCommand(BOOTSTRAP_SCRIPT)];
  return { command: executable, args, commandLine: [executable, ...args].join(' ') };
}

/** The stdin for the bootstrap: the script's UTF-8 bytes as base64, in CRLF-terminated lines. */
export function bootstrapStdin(script: string): Buffer {
  const b64 = Buffer.from(script, 'utf8').toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'ascii');
}

/** The inverse of bootstrapStdin (test servers use it). */
export function decodeBootstrapStdin(stdin: Buffer): string {
  const text = stdin.toString('ascii');
  if (!/^[A-Za-z0-9+/=\r\n]*$/.test(text)) throw new Error('bootstrap stdin is not base64 text');
  return Buffer.from(text.replace(/[\r\n]/g, ''), 'base64').toString('utf8');
}
