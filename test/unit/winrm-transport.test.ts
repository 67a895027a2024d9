/**
 * WinrmTransport (Basic over HTTPS with a test CA) against the loopback WS-Management server:
 * output, exit codes, unicode split across chunks, long scripts, shell reuse, every injected
 * fault and dropped connections.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { bootstrapCommand } from '../../src/transport/powershell-bootstrap.ts';
import { ConnectionError } from '../../src/transport/transport.ts';
import { MAX_COMMAND_LINE } from '../winrm-server/scripted-host.ts';
import { ok, PASSWORD, PASSWORD_ENV, startFixture, type Fixture } from '../winrm-server/fixture.ts';
import type { HostOutput } from '../winrm-server/scripted-host.ts';

/** The scripted host: scripts are handled by whatever the current test puts here. */
let handler: (script: string) => HostOutput | Promise<HostOutput> = () => ok('');
const scripts: string[] = [];
let fx: Fixture;

before(async () => {
  fx = await startFixture(
    (script) => {
      scripts.push(script);
      return handler(script);
    },
    { scheme: 'https' },
  );
});
after(async () => {
  await fx.close();
});

async function rejects(p: Promise<unknown>, message: RegExp, hint?: RegExp): Promise<ConnectionError> {
  const err = await p.then(
    () => assert.fail('expected an error'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConnectionError, `not a ConnectionError: ${String(err)}`);
  assert.match(err.message, message);
  if (hint) assert.match(err.hint ?? '', hint);
  assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, new RegExp(PASSWORD.replace(/[$^"<>&]/g, '.')));
  return err;
}

describe('running scripts', () => {
  test('stdout, stderr and the exit code come back; the host got the script exactly', async () => {
    handler = (s) => ok(`ran ${s.length} chars\r\n`, 'warning: something\r\n', 3);
    const t = fx.transport();
    const script = "$x = 'quote\" and $(sub) `tick'\r\nWrite-Output $x\r\n";
    const r = await t.runScript(script);
    assert.equal(r.code, 3);
    assert.equal(r.stdout.toString('utf8'), `ran ${script.length} chars\r\n`);
    assert.equal(r.stderr.toString('utf8'), 'warning: something\r\n');
    assert.equal(scripts.at(-1), script);
    assert.equal(t.shell, 'powershell');
    assert.equal(t.execCount, 1);
  });

  test('the shell is created with UTF-8 code page and no profile, and the signal comes after Done', async () => {
    handler = () => ok('x');
    const before = fx.server.events.length;
    const t = fx.transport();
    await t.runScript('1');
    await t.close();
    const events = fx.server.events.slice(before);
    assert.deepEqual(
      events.map((e) => e.operation),
      ['create', 'command', 'send', 'receive', 'receive', 'signal', 'delete'],
    );
    assert.match(events[0]?.detail ?? '', /WINRS_NOPROFILE=TRUE/);
    assert.match(events[0]?.detail ?? '', /WINRS_CODEPAGE=65001/);
    assert.equal(events.find((e) => e.operation === 'signal')?.detail, 'after-done');
    assert.equal(events[1]?.detail, bootstrapCommand().commandLine);
  });

  test('a negative exit code survives the unsigned wire form', async () => {
    handler = () => ok('', '', -1);
    assert.equal((await fx.transport().runScript('exit -1')).code, -1);
  });

  test('unicode split across 7-byte chunks and across Receive replies is joined before decoding', async () => {
    const text = 'héllo wörld 😀 日本語 Ωμέγα '.repeat(20);
    handler = () => ok(text, `érreur ${text}`, 0);
    const before = fx.server.events.length;
    const r = await fx.transport().runScript('unicode');
    assert.equal(r.stdout.toString('utf8'), text);
    assert.equal(r.stderr.toString('utf8'), `érreur ${text}`);
    const receives = fx.server.events.slice(before).filter((e) => e.operation === 'receive').length;
    assert.ok(receives > 10, `expected many Receive round trips, got ${receives}`);
  });

  test('a 200 KB script travels on stdin in ~100 KB chunks; the command line stays short', async () => {
    const line = "Write-Output 'ünïcödé line with `$(danger)' # padding padding padding\r\n";
    const script = line.repeat(Math.ceil(200_000 / Buffer.byteLength(line)));
    assert.ok(Buffer.byteLength(script) >= 200_000);
    handler = (s) => ok(String(s.length));
    const before = fx.server.events.length;
    const r = await fx.transport().runScript(script);
    assert.equal(r.code, 0);
    assert.equal(scripts.at(-1), script);
    const events = fx.server.events.slice(before);
    const sends = events.filter((e) => e.operation === 'send');
    assert.ok(sends.length >= 3, `expected the stdin in several Sends, got ${sends.length}`);
    assert.match(sends.at(-1)?.detail ?? '', / end$/);
    const commandLine = events.find((e) => e.operation === 'command')?.detail ?? '';
    assert.ok(commandLine.length < MAX_COMMAND_LINE, `command line is ${commandLine.length} chars`);
    assert.ok(!commandLine.includes('danger'));
  });

  test('one shell serves every script of a run; close deletes it', async () => {
    handler = () => ok('x');
    const before = fx.server.events.length;
    const t = fx.transport();
    await t.runScript('1');
    await t.runScript('2');
    await t.runScript('3');
    assert.equal(t.shellsCreated, 1);
    await t.close();
    const ops = fx.server.events.slice(before).map((e) => e.operation);
    assert.equal(ops.filter((o) => o === 'create').length, 1);
    assert.equal(ops.filter((o) => o === 'command').length, 3);
    assert.equal(ops.at(-1), 'delete');
    const shellId = fx.server.events.slice(before).find((e) => e.operation === 'create')?.shellId ?? '';
    assert.equal(fx.server.machine.shells.has(shellId), false);
  });
});

describe('faults', () => {
  test('Receive TimedOut (injected) is answered with another Receive', async () => {
    handler = () => ok('after timeouts');
    fx.server.inject('receive', 'timeout', 2);
    const r = await fx.transport().runScript('1');
    assert.equal(r.stdout.toString(), 'after timeouts');
    assert.ok(fx.server.log.filter((l) => l.outcome === 'injected timeout').length >= 2);
  });

  test('a command slower than OperationTimeout gets real TimedOut faults and still completes', async () => {
    handler = async () => {
      await sleep(2500);
      return ok('slow');
    };
    const before = fx.server.log.length;
    const r = await fx.transport({ operationTimeoutS: 1 }).runScript('slow');
    assert.equal(r.stdout.toString(), 'slow');
    assert.ok(fx.server.log.slice(before).some((l) => l.outcome === 'fault w:TimedOut'));
  });

  test('ERROR_BUSY (170) on Send is retried after a pause', async () => {
    handler = (s) => ok(s);
    fx.server.inject('send', 'busy', 2);
    const r = await fx.transport().runScript('busy but fine');
    assert.equal(r.stdout.toString(), 'busy but fine');
  });

  test('a busy server that stays busy gives an error naming the host', async () => {
    fx.server.inject('command', 'busy', 10);
    await rejects(fx.transport().runScript('x'), /^win1: the WinRM service stayed busy/, /again later/);
    fx.server.clearInjections();
  });

  test('command line too long (2147942606) is reported as a bug, naming the host', async () => {
    fx.server.inject('command', 'commandLineTooLong');
    await rejects(fx.transport().runScript('x'), /^win1: the command line is too long.*2147942606/, /bootstrap/);
  });

  for (const [operation, fault] of [
    ['create', 'shellQuota'],
    ['command', 'shellQuota'],
    ['command', 'shellClosed'],
    ['command', 'tooManyCommands'],
  ] as const) {
    test(`${fault} on ${operation} before any input: a new shell runs the script`, async () => {
      handler = (s) => ok(`ran ${s}`);
      const t = fx.transport();
      if (operation === 'command') await t.connect();
      fx.server.inject(operation, fault);
      const r = await t.runScript('again');
      assert.equal(r.stdout.toString(), 'ran again');
      assert.equal(t.shellsCreated, operation === 'command' ? 2 : 1);
      assert.equal(scripts.filter((s) => s === 'again').length >= 1, true);
    });
  }

  test('shell closed after input was sent: not run again, the error says so', async () => {
    handler = () => ok('never');
    const t = fx.transport();
    await t.connect();
    fx.server.inject('receive', 'shellClosed');
    const ran = scripts.length;
    await rejects(t.runScript('once'), /^win1: the WinRM shell was reset after the script had started receiving input.*2150858843/, /run again/);
    assert.equal(scripts.length, ran, 'the script must not have run twice');
    // The next script gets a fresh shell.
    handler = () => ok('fresh');
    assert.equal((await t.runScript('next')).stdout.toString(), 'fresh');
    assert.equal(t.shellsCreated, 2);
  });

  test('the server dropping the connection during Receive: the client reconnects and receives again', async () => {
    handler = () => ok('survived');
    const t = fx.transport();
    await t.runScript('warm up');
    const connections = fx.server.connections;
    fx.server.inject('receive', 'drop');
    const r = await t.runScript('dropped');
    assert.equal(r.stdout.toString(), 'survived');
    assert.ok(fx.server.connections > connections, 'a new connection was opened');
  });

  test('connections closed between scripts (service restart, idle timeout): the next script reconnects', async () => {
    handler = () => ok('again');
    const t = fx.transport();
    await t.runScript('1');
    fx.server.dropConnections();
    await sleep(50);
    assert.equal((await t.runScript('2')).stdout.toString(), 'again');
  });

  test('the run option timeoutMs stops a script and signals it', async () => {
    handler = async () => {
      await sleep(3000);
      return ok('late');
    };
    const t = fx.transport({ operationTimeoutS: 1 });
    const before = fx.server.events.length;
    await assert.rejects(t.runScript('slow', { timeoutMs: 500 }), (e: Error) => e.name === 'TimeoutError' && /^win1: script did not finish/.test(e.message));
    assert.equal(fx.server.events.slice(before).find((e) => e.operation === 'signal')?.detail, 'before-done');
  });
});

describe('HTTPS and credentials', () => {
  test('without the CA file the certificate is refused, naming the host and ca_file', async () => {
    await rejects(fx.transport({ caFile: undefined }).runScript('x'), /^win1: the WinRM server's TLS certificate was refused/, /connection\.winrm\.ca_file/);
  });

  test('validate_certs: false accepts it (the insecure opt-out)', async () => {
    handler = () => ok('insecure');
    assert.equal((await fx.transport({ caFile: undefined, validateCerts: false }).runScript('x')).stdout.toString(), 'insecure');
  });

  test('a wrong Basic password gives an error naming the host, without the password', async () => {
    await rejects(fx.transport({ env: { [PASSWORD_ENV]: 'wrong' } }).runScript('x'), /^win1: the WinRM server rejected the credentials \(HTTP 401\)/, /password_env/);
  });

  test('an unset password variable is named, with the fix', async () => {
    await rejects(fx.transport({ env: {} }).runScript('x'), /^win1: the WinRM password environment variable PROVISION_TEST_WINRM_PASSWORD is not set/, /export PROVISION_TEST_WINRM_PASSWORD=/);
  });

  test('an unreadable ca_file is named', async () => {
    await rejects(fx.transport({ caFile: '/nonexistent/ca.pem' }).runScript('x'), /^win1: cannot read connection\.winrm\.ca_file \/nonexistent\/ca\.pem/);
  });

  test('Basic over plain http is refused by the client unless allow_unencrypted', async () => {
    await rejects(fx.transport({ scheme: 'http' }).runScript('x'), /^win1: refusing to send a Basic password over unencrypted http/, /allow_unencrypted/);
  });

  test('nothing listening: the error names the host, URL and the listener fix', async () => {
    await rejects(fx.transport({ port: 1 }).runScript('x'), /^win1: cannot reach WinRM at https:\/\/127\.0\.0\.1:1\/wsman \(ECONNREFUSED\)/, /listener/);
  });
});
