/**
 * What runs behind the test server's shell: a function from a command to its output. The default
 * one accepts only the PowerShell bootstrap, decodes the script from stdin and hands it to a
 * test-provided function, as powershell.exe would run it.
 */
import { BOOTSTRAP_SCRIPT } from '../../src/transport/powershell-bootstrap.ts';

export interface HostOutput {
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  readonly exitCode: number;
}

export type ScriptedHost = (commandLine: string, args: string[], stdin: Buffer) => Promise<HostOutput>;

export type PowerShellScriptHandler = (script: string) => HostOutput | Promise<HostOutput>;

/** cmd.exe's command-line limit; longer lines fail with 2147942606 on a real host. */
export const MAX_COMMAND_LINE = 8191;

export class CommandLineTooLong extends Error {}

/** Raised for commands a real host would run but the test does not expect (the server answers exit 9009, like cmd.exe). */
export function bootstrapHost(run: PowerShellScriptHandler): ScriptedHost {
  return async (commandLine, args, stdin) => {
    const words = [...commandLine.split(' ').filter(Boolean), ...args];
    if (words.join(' ').length > MAX_COMMAND_LINE) throw new CommandLineTooLong();
    const [exe, ...rest] = words;
    const expected = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand'];
    if (!exe || !/^powershell(\.exe)?$/i.test(exe) || rest.length !== expected.length + 1 || expected.some((w, i) => rest[i] !== w)) {
      return { stdout: Buffer.alloc(0), stderr: Buffer.from(`'${exe ?? ''}' is not the provision bootstrap\r\n`), exitCode: 9009 };
    }
    const encoded = rest[expected.length] ?? '';
    const bootstrap = Buffer.from(encoded, 'base64').toString('utf16le');
    if (bootstrap !== BOOTSTRAP_SCRIPT) {
      return { stdout: Buffer.alloc(0), stderr: Buffer.from('the -EncodedCommand is not the known bootstrap\r\n'), exitCode: 1 };
    }
    const text = stdin.toString('latin1');
    if (!/^[A-Za-z0-9+/=\r\n]*$/.test(text)) {
      return { stdout: Buffer.alloc(0), stderr: Buffer.from('stdin is not base64 text\r\n'), exitCode: 1 };
    }
    const script = Buffer.from(text.replace(/\r?\n/g, ''), 'base64').toString('utf8');
    return run(script);
  };
}
