/** The PowerShell bootstrap every Windows transport uses, and the local node-powershell wrapper. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { localInvocation, localSessionOptions, parseLocalInvocation } from '../../src/transport/local-powershell.ts';
import { BOOTSTRAP_SCRIPT, bootstrapCommand, bootstrapStdin, decodeBootstrapStdin, encodeCommand } from '../../src/transport/powershell-bootstrap.ts';
import { powershellSyntaxProblems } from '../support/powershell-syntax.ts';

const NONCE = '@@provision-00112233445566778899aabb';

describe('bootstrap', () => {
  test('the exact command line: powershell.exe with fixed options and the encoded bootstrap', () => {
    const { command, args, commandLine } = bootstrapCommand();
    assert.equal(command, 'powershell.exe');
    assert.deepEqual(args.slice(0, 5), ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
    assert.equal(Buffer.from(args[5] ?? '', 'base64').toString('utf16le'), BOOTSTRAP_SCRIPT);
    assert.equal(commandLine, `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ${encodeCommand(BOOTSTRAP_SCRIPT)}`);
    assert.ok(commandLine.length < 8191, `${commandLine.length} chars`);
    assert.match(commandLine, /^[A-Za-z0-9 .+/=-]+$/, 'nothing that cmd.exe would interpret');
  });

  test('progress is silenced first; the script is read from stdin, decoded as UTF-8 and run; the exit code is kept', async () => {
    const lines = BOOTSTRAP_SCRIPT.split('\r\n');
    assert.equal(lines[0], "$ProgressPreference = 'SilentlyContinue'");
    assert.match(BOOTSTRAP_SCRIPT, /@\(\$input\)/);
    assert.match(BOOTSTRAP_SCRIPT, /\[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String/);
    assert.match(BOOTSTRAP_SCRIPT, /exit 1 \}/);
    assert.equal(lines.at(-1), 'exit $global:LASTEXITCODE');
    assert.deepEqual(await powershellSyntaxProblems(BOOTSTRAP_SCRIPT.replace(/\r\n/g, '\n')), []);
  });

  test('a 200 KB script of any characters travels as ASCII base64 lines and comes back exactly', () => {
    const script = `${"Write-Output 'ünï €  😀 \"$(x)\" `n'\r\n".repeat(5000)}exit 3`;
    assert.ok(Buffer.byteLength(script) > 200_000);
    const stdin = bootstrapStdin(script);
    assert.match(stdin.toString('latin1'), /^([A-Za-z0-9+/=]{1,76}\r\n)+$/);
    assert.equal(decodeBootstrapStdin(stdin), script);
    assert.ok(bootstrapCommand().commandLine.length < 8191, 'the command line does not grow with the script');
  });
});

describe('local PowerShell wrapper (node-powershell; unverified without powershell)', () => {
  test('the script is base64 data inside the wrapper; hostile text never appears; the wrapper parses', async () => {
    const script = "Write-Output 'x'; $(Remove-Item C:\\) ' \" `";
    const text = localInvocation(script, NONCE);
    assert.ok(!text.includes('Remove-Item'));
    assert.ok(text.includes(`FromBase64String('${Buffer.from(script).toString('base64')}')`));
    assert.deepEqual(await powershellSyntaxProblems(text), []);
  });

  test('the session options: no profile, non-interactive, bypass, errors not thrown', () => {
    assert.deepEqual(localSessionOptions(undefined), {
      executableOptions: { '-NoProfile': true, '-NonInteractive': true, '-ExecutionPolicy': 'Bypass' },
      throwOnInvocationError: false,
    });
    assert.equal(localSessionOptions('pwsh').executable, 'pwsh');
  });

  test('the exit line is split off the output; without it the session ended', () => {
    const r = parseLocalInvocation(Buffer.from(`hello\r\nworld\r\n${NONCE} EXIT 4\r\n`), Buffer.from('e'), NONCE);
    assert.equal(r?.code, 4);
    assert.equal(r?.stdout.toString(), 'hello\r\nworld\r\n');
    assert.equal(parseLocalInvocation(Buffer.from(`${NONCE} EXIT -1\n`), Buffer.alloc(0), NONCE)?.code, -1);
    assert.equal(parseLocalInvocation(Buffer.from('hello\r\n'), Buffer.alloc(0), NONCE), undefined);
  });
});
