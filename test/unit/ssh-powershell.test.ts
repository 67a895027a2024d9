/**
 * SshTransport with shell: powershell (a Windows host running OpenSSH Server): against an
 * in-process ssh2 server that records the exec command line and stdin and answers as the
 * bootstrap would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ssh2 from 'ssh2';
import { bootstrapCommand, decodeBootstrapStdin } from '../../src/transport/powershell-bootstrap.ts';
import { SshTransport } from '../../src/transport/ssh.ts';
import { ConnectionError } from '../../src/transport/transport.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssh-powershell-test-'));
process.env['HOME'] = join(dir, 'home');
mkdirSync(join(dir, 'home'));
delete process.env['SSH_AUTH_SOCK'];

const client = ssh2.utils.generateKeyPairSync('ed25519');
const clientParsed = ssh2.utils.parseKey(client.public);
const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
if (clientParsed instanceof Error) throw clientParsed;
const keyFile = join(dir, 'id');
writeFileSync(keyFile, client.private, { mode: 0o600 });

const seen: { command: string; stdin: Buffer }[] = [];
let server: ssh2.Server;
let port = 0;

before(async () => {
  server = new ssh2.Server({ hostKeys: [hostKey.private] }, (conn) => {
    conn.on('error', () => {});
    conn.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.data.equals(clientParsed.getPublicSSH())) return ctx.accept();
      ctx.reject(['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          const chunks: Buffer[] = [];
          stream.on('data', (d: Buffer) => chunks.push(d));
          stream.on('end', () => {
            const stdin = Buffer.concat(chunks);
            seen.push({ command: info.command, stdin });
            const script = decodeBootstrapStdin(stdin);
            stream.write(`ran: ${script}`);
            // powershell.exe writes errors as CLIXML when stderr is redirected.
            stream.stderr.write('#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">bad thing_x000D__x000A_</S></Objs>');
            stream.exit(5);
            stream.end();
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function transport(shell: 'sh' | 'powershell', become: { user?: string } | null = null): SshTransport {
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey.public.trim()}\n`);
  return new SshTransport({ host: 'winssh', address: '127.0.0.1', port, user: 'Administrator', identityFile: keyFile, knownHostsFile: knownHosts, sshConfigFile: null, become, shell });
}

test('runs the bootstrap command line with the script as base64 on stdin; CLIXML stderr decoded', async () => {
  const t = transport('powershell');
  try {
    assert.equal(t.shell, 'powershell');
    const script = "Write-Output 'ü $(x)'\r\n".repeat(3000);
    const r = await t.runScript(script);
    const last = seen.at(-1);
    assert.ok(last);
    assert.equal(last.command, bootstrapCommand().commandLine);
    assert.equal(last.command, `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ${bootstrapCommand().args[5] ?? ''}`);
    assert.match(last.stdin.toString('latin1'), /^([A-Za-z0-9+/=]+\r\n)+$/);
    assert.equal(decodeBootstrapStdin(last.stdin), script);
    assert.equal(r.stdout.toString('utf8'), `ran: ${script}`);
    assert.equal(r.stderr.toString('utf8'), 'bad thing\r\n');
    assert.equal(r.code, 5);
  } finally {
    await t.close();
  }
});

test('become is refused with shell: powershell, naming the host', () => {
  assert.throws(() => transport('powershell', {}), (e: unknown) => e instanceof ConnectionError && /^winssh: become is not supported with shell: powershell/.test(e.message));
});
