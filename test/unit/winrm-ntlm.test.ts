/**
 * NTLM (Negotiate) through the loopback server: over plain HTTP every body is sealed both ways
 * (MS-WSMV 2.2.9.1) and the server refuses unencrypted ones; wrong passwords give a clear error;
 * a new connection runs the handshake again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectionError } from '../../src/transport/transport.ts';
import { endPointHashAlgorithm, tlsServerEndPoint } from '../../src/transport/winrm/channel-binding.ts';
import { WsmanHttp } from '../../src/transport/winrm/http.ts';
import { NtlmClient } from '../../src/transport/winrm/ntlm/client.ts';
import { WinrmShell } from '../../src/transport/winrm/shell.ts';
import { ok, PASSWORD, PASSWORD_ENV, startFixture, testCertificates, USER, type Fixture } from '../winrm-server/fixture.ts';

const scripts: string[] = [];
let http: Fixture;
let lenient: Fixture;
let https: Fixture;
const echo = (s: string): ReturnType<typeof ok> => {
  scripts.push(s);
  return ok(`echo: ${s}`, 'ërr', 7);
};

before(async () => {
  http = await startFixture(echo, { scheme: 'http' });
  lenient = await startFixture(echo, { scheme: 'http', requireEncryption: false });
  https = await startFixture(echo, { scheme: 'https' });
});
after(async () => {
  await Promise.all([http.close(), lenient.close(), https.close()]);
});

async function connectionError(p: Promise<unknown>): Promise<ConnectionError> {
  const err = await p.then(
    () => assert.fail('expected an error'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConnectionError, `not a ConnectionError: ${String(err)}`);
  return err;
}

describe('NTLM over HTTP with sealing', () => {
  test('scripts run; every SOAP body went encrypted, both ways', async () => {
    const before = http.server.log.length;
    const t = http.transport();
    const script = 'Write-Output "ünïcode ✓"';
    const r = await t.runScript(script);
    assert.equal(r.stdout.toString('utf8'), `echo: ${script}`);
    assert.equal(r.stderr.toString('utf8'), 'ërr');
    assert.equal(r.code, 7);
    assert.equal((await t.runScript('second')).stdout.toString(), 'echo: second');
    await t.close();
    const soap = http.server.log.slice(before).filter((l) => l.operation !== 'auth');
    assert.deepEqual(
      soap.map((l) => l.operation),
      ['create', 'command', 'send', 'receive', 'receive', 'signal', 'command', 'send', 'receive', 'receive', 'signal', 'delete'],
    );
    assert.ok(soap.every((l) => l.encrypted && l.outcome === 'ok'), JSON.stringify(soap));
    // One handshake for the whole session: NTLM authenticates the connection.
    assert.equal(http.server.log.slice(before).filter((l) => l.outcome === 'ntlm challenge').length, 1);
  });

  test('a wrong password gives a clear error naming the host and user, never the password', async () => {
    const err = await connectionError(http.transport({ env: { [PASSWORD_ENV]: 'not-the-password' } }).runScript('x'));
    assert.match(err.message, new RegExp(`^win1: the WinRM server rejected the NTLM credentials of ${USER} \\(HTTP 401\\)`));
    assert.match(err.hint ?? '', /password_env/);
    assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, /not-the-password/);
  });

  test('after the server drops the connection, a new handshake runs on the new one', async () => {
    const t = http.transport();
    await t.runScript('one');
    const challenges = http.server.log.filter((l) => l.outcome === 'ntlm challenge').length;
    http.server.dropConnections();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await t.runScript('two')).stdout.toString(), 'echo: two');
    assert.equal(http.server.log.filter((l) => l.outcome === 'ntlm challenge').length, challenges + 1);
  });

  test('a connection dropped in the middle of a Receive: re-authenticated and received again', async () => {
    const t = http.transport();
    await t.connect();
    http.server.inject('receive', 'drop');
    assert.equal((await t.runScript('mid')).stdout.toString(), 'echo: mid');
  });

  test('allow_unencrypted against a server that requires encryption: the server refuses, the error names the host', async () => {
    const err = await connectionError(http.transport({ allowUnencrypted: true }).runScript('x'));
    assert.match(err.message, /^win1: the WinRM server answered HTTP 400: unencrypted body refused/);
    assert.ok(http.server.log.some((l) => l.outcome === 'unencrypted refused'));
  });

  test('allow_unencrypted against a server that allows it: plain SOAP', async () => {
    const before = lenient.server.log.length;
    const r = await lenient.transport({ allowUnencrypted: true }).runScript('plain');
    assert.equal(r.stdout.toString(), 'echo: plain');
    const soap = lenient.server.log.slice(before).filter((l) => l.operation !== 'auth');
    assert.ok(soap.length > 0 && soap.every((l) => !l.encrypted));
  });
});

describe('NTLM over HTTPS', () => {
  test('runs without sealing (TLS protects the channel)', async () => {
    const before = https.server.log.length;
    const r = await https.transport({ auth: 'ntlm' }).runScript('tls');
    assert.equal(r.stdout.toString(), 'echo: tls');
    const soap = https.server.log.slice(before).filter((l) => l.operation !== 'auth');
    assert.ok(soap.length > 0 && soap.every((l) => !l.encrypted));
  });
});

describe('NTLM over HTTPS: channel binding (Extended Protection)', () => {
  test('the server requires the binding: a client that does not bind to the TLS channel is refused', async () => {
    const http = new WsmanHttp({
      host: 'win1',
      scheme: 'https',
      address: '127.0.0.1',
      port: https.server.port,
      ca: testCertificates().ca,
      requestTimeoutMs: 10_000,
      auth: { kind: 'ntlm', user: USER, newClient: () => new NtlmClient({ user: USER, password: PASSWORD }) },
    });
    const shell = new WinrmShell({ host: 'win1', http, operationTimeoutS: 5, maxEnvelopeSize: 153600 });
    try {
      await assert.rejects(shell.open(), (e: unknown) => e instanceof ConnectionError && /^win1: the WinRM server rejected the NTLM credentials/.test(e.message));
    } finally {
      http.close();
    }
  });

  test('tls-server-end-point hashes the certificate with its signature hash (SHA-256 floor)', () => {
    const pem = testCertificates().cert;
    const der = new X509Certificate(pem).raw;
    assert.equal(endPointHashAlgorithm(der), 'sha256');
    assert.deepEqual(tlsServerEndPoint(der), Buffer.concat([Buffer.from('tls-server-end-point:'), createHash('sha256').update(der).digest()]));
    const dir = testCertificates().dir;
    for (const [digest, expected] of [['sha384', 'sha384'], ['sha512', 'sha512'], ['sha1', 'sha256']] as const) {
      const out = join(dir, `${digest}.pem`);
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${digest}.key`), '-out', out, '-days', '1', '-subj', '/CN=x', `-${digest}`], { stdio: 'ignore' });
      assert.equal(endPointHashAlgorithm(new X509Certificate(readFileSync(out)).raw), expected, digest);
    }
  });
});
