/** Which connection failures are retried, how often and how long apart. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HostError } from '../../src/engine/errors.ts';
import { backoffMs, isTransient, withRetries } from '../../src/engine/retry.ts';
import { createServer, type AddressInfo } from 'node:net';
import { SshTransport } from '../../src/transport/ssh.ts';
import { ConnectionError } from '../../src/transport/transport.ts';

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const refused = (): ConnectionError => new ConnectionError('web1', 'web1 (10.0.0.1:22): connection refused by 10.0.0.1:22', 'check sshd', true);
const badKey = (): ConnectionError => new ConnectionError('web1', 'web1: the host key changed', 'check the key');

describe('connection retries', () => {
  test('only transient network failures are retried', () => {
    assert.equal(isTransient(refused()), true);
    assert.equal(isTransient(badKey()), false, 'host key and authentication failures are not transient');
    assert.equal(isTransient(new HostError('web1', 'apply failed')), false);
    assert.equal(isTransient(new Error('ECONNREFUSED')), false, 'only errors the transport classified');
  });

  test('the SSH transport marks a refused connection transient, a server that hangs up during the handshake not', async () => {
    const refusedBy = new SshTransport({ host: 'web1', address: '127.0.0.1', port: await closedPort(), sshConfigFile: null, become: null, connectTimeoutMs: 5000 });
    await assert.rejects(refusedBy.connect(), (e: unknown) => isTransient(e) && /connection refused/.test((e as Error).message));
    const hangUp = createServer((socket) => socket.end('not ssh\r\n'));
    await new Promise<void>((r) => hangUp.listen(0, '127.0.0.1', r));
    try {
      const t = new SshTransport({ host: 'web2', address: '127.0.0.1', port: (hangUp.address() as AddressInfo).port, sshConfigFile: null, become: null, connectTimeoutMs: 5000 });
      await assert.rejects(t.connect(), (e: unknown) => e instanceof ConnectionError && !isTransient(e));
    } finally {
      hangUp.close();
    }
  });

  test('backoff doubles from the delay and is capped', () => {
    const p = { retries: 10, delayMs: 500 };
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffMs(p, n)), [500, 1000, 2000, 4000]);
    assert.equal(backoffMs(p, 20), 30_000);
  });

  test('a transient failure is retried until it succeeds', async () => {
    let calls = 0;
    const waits: number[] = [];
    const v = await withRetries({ retries: 3, delayMs: 1 }, async () => {
      if (++calls < 3) throw refused();
      return 'connected';
    }, { onRetry: (_n, w) => waits.push(w) });
    assert.equal(v, 'connected');
    assert.equal(calls, 3);
    assert.deepEqual(waits, [1, 2]);
  });

  test('retries run out: the last error says how many attempts were made', async () => {
    let calls = 0;
    await assert.rejects(
      withRetries({ retries: 2, delayMs: 1 }, async () => {
        calls++;
        throw refused();
      }),
      (e: unknown) => e instanceof ConnectionError && /connection refused .*\(after 3 attempts\)$/.test(e.message) && e.hint === 'check sshd',
    );
    assert.equal(calls, 3);
  });

  test('a permanent failure is thrown at once, unchanged', async () => {
    let calls = 0;
    const err = badKey();
    await assert.rejects(
      withRetries({ retries: 5, delayMs: 1 }, async () => {
        calls++;
        throw err;
      }),
      (e: unknown) => e === err,
    );
    assert.equal(calls, 1);
  });

  test('an aborted signal (Ctrl-C) stops waiting for the next attempt', async () => {
    const stop = new AbortController();
    let calls = 0;
    const run = withRetries({ retries: 5, delayMs: 60_000 }, async () => {
      calls++;
      throw refused();
    }, { signal: stop.signal, onRetry: () => stop.abort() });
    await assert.rejects(run, /\(after 1 attempt\)$/);
    assert.equal(calls, 1);
  });
});
