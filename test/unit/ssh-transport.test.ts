/**
 * SshTransport against in-process ssh2 servers on 127.0.0.1 whose exec handler really runs the
 * command with `sh -c`, so byte-exactness, exit codes and stdin handling are end-to-end.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { hostKeyFingerprint } from '../../src/transport/known-hosts.ts';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh.ts';
import { ConnectionError } from '../../src/transport/transport.ts';

// Isolate from the developer's ~/.ssh (default keys, config, known_hosts) and agent.
const dir = mkdtempSync(join(tmpdir(), 'ssh-transport-test-'));
process.env['HOME'] = join(dir, 'home');
mkdirSync(join(dir, 'home'));
delete process.env['SSH_AUTH_SOCK'];

const USER = 'tester';

interface KeyPair {
  private: string;
  public: string;
  blob: Buffer;
  parsed: ParsedKey;
}

function keyPair(): KeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519');
  const parsed = ssh2.utils.parseKey(pair.public);
  if (parsed instanceof Error) throw parsed;
  return { private: pair.private, public: pair.public, blob: Buffer.from(pair.public.split(' ')[1] ?? '', 'base64'), parsed };
}

function writeKey(name: string, pair: KeyPair): string {
  const path = join(dir, name);
  writeFileSync(path, pair.private, { mode: 0o600 });
  return path;
}

const clientKey = keyPair();
const strangerKey = keyPair();
const clientKeyPath = writeKey('id_client', clientKey);
const strangerKeyPath = writeKey('id_stranger', strangerKey);

// A fake sudo on the servers' PATH: it records nothing, drops its options and runs the command,
// or refuses like `sudo -n` does without NOPASSWD when FAKE_SUDO_PASSWORD is set.
const fakeBin = join(dir, 'bin');
mkdirSync(fakeBin);
writeFileSync(
  join(fakeBin, 'sudo'),
  `#!/bin/sh
if [ -n "$FAKE_SUDO_PASSWORD" ]; then echo 'sudo: a password is required' >&2; exit 1; fi
while [ $# -gt 0 ]; do case "$1" in -n) shift;; -u) shift 2;; --) shift; break;; *) break;; esac; done
exec "$@"
`,
  { mode: 0o755 },
);

interface TestServer {
  readonly port: number;
  readonly hostKey: KeyPair;
  connections: number;
  closed: number;
  readonly commands: string[];
  readonly authMethods: string[];
  /** Source ports of incoming TCP connections. */
  readonly remotePorts: number[];
  /** direct-tcpip requests (jump server) and the local ports of the sockets opened for them. */
  readonly tcpip: { destIP: string; destPort: number; localPort: number | undefined }[];
  readonly env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

async function startServer(authorized: ParsedKey[] = [clientKey.parsed]): Promise<TestServer> {
  const hostKey = keyPair();
  const state = {
    connections: 0,
    closed: 0,
    commands: [] as string[],
    authMethods: [] as string[],
    remotePorts: [] as number[],
    tcpip: [] as TestServer['tcpip'],
    env: { ...process.env, PATH: `${fakeBin}:${process.env['PATH'] ?? '/usr/bin:/bin'}` } as NodeJS.ProcessEnv,
  };
  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client, info) => {
    state.connections++;
    // Without this the server side's Nagle + delayed ACK adds ~40 ms stalls to every exchange.
    // (ssh2's server Connection has setNoDelay; @types/ssh2 omits it.)
    (client as typeof client & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    state.remotePorts.push(info.port);
    client.on('error', () => {});
    client.on('close', () => state.closed++);
    client.on('authentication', (ctx) => {
      state.authMethods.push(ctx.method);
      if (ctx.method !== 'publickey' || ctx.username !== USER) return ctx.reject(['publickey']);
      const key = authorized.find((k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data));
      if (!key) return ctx.reject(['publickey']);
      if (ctx.signature && ctx.blob && !key.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, execInfo) => {
          state.commands.push(execInfo.command);
          const stream = accept();
          // Own process group, so closing the channel also kills what the script started (sleep).
          const child = spawn('sh', ['-c', execInfo.command], { env: state.env, detached: true });
          stream.pipe(child.stdin);
          child.stdin.on('error', () => {});
          child.stdout.pipe(stream, { end: false });
          child.stderr.pipe(stream.stderr, { end: false });
          child.on('close', (code, signal) => {
            if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '');
            else stream.exit(code ?? 255);
            stream.end();
          });
          stream.on('close', () => {
            try {
              if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
            } catch {
              // the group is already gone
            }
          });
        });
      });
      client.on('tcpip', (accept, reject, tcpInfo) => {
        const sock = netConnect(tcpInfo.destPort, tcpInfo.destIP).setNoDelay(true);
        sock.once('error', () => reject());
        sock.once('connect', () => {
          state.tcpip.push({ destIP: tcpInfo.destIP, destPort: tcpInfo.destPort, localPort: sock.localPort });
          const channel = accept();
          channel.pipe(sock).pipe(channel);
          channel.on('close', () => sock.destroy());
          sock.on('close', () => channel.destroy());
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return Object.assign(state, {
    port,
    hostKey,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

function knownHosts(name: string, ...servers: TestServer[]): string {
  const path = join(dir, name);
  writeFileSync(path, servers.map((s) => `[127.0.0.1]:${s.port} ${s.hostKey.public.trim()}\n`).join(''));
  return path;
}

const transports: SshTransport[] = [];
function transport(server: TestServer, options: Partial<SshTransportOptions> = {}): SshTransport {
  const t = new SshTransport({
    host: 'web1',
    address: '127.0.0.1',
    port: server.port,
    user: USER,
    identityFile: clientKeyPath,
    knownHostsFile: knownHosts(`kh-${server.port}`, server),
    sshConfigFile: null,
    become: null,
    connectTimeoutMs: 5000,
    ...options,
  });
  transports.push(t);
  return t;
}

/** Assert a ConnectionError whose message and hint match, and return it. */
async function connectionError(promise: Promise<unknown>, message: RegExp, hint?: RegExp): Promise<ConnectionError> {
  let caught: unknown;
  await promise.then(
    () => assert.fail('expected a ConnectionError'),
    (e: unknown) => {
      caught = e;
    },
  );
  assert.ok(caught instanceof ConnectionError, `not a ConnectionError: ${String(caught)}`);
  assert.match(caught.message, message);
  if (hint) assert.match(caught.hint ?? '', hint);
  return caught;
}

let server: TestServer;
before(async () => {
  server = await startServer();
});
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('running scripts', () => {
  test('stdout, stderr and exit code come back byte-exact (binary and unicode)', async () => {
    const t = transport(server);
    const r = await t.runScript(
      "printf 'h\\303\\251llo \\342\\234\\223 \\000\\001\\377'\nprintf '%s' 'ünïcödé ✓ 日本' >&2\nexit 3\n",
    );
    assert.equal(r.code, 3);
    assert.deepEqual(r.stdout, Buffer.concat([Buffer.from('héllo ✓ ', 'utf8'), Buffer.from([0, 1, 0xff])]));
    assert.deepEqual(r.stderr, Buffer.from('ünïcödé ✓ 日本', 'utf8'));
  });

  test('a 1 MB script arrives intact on stdin', async () => {
    const payload = `${'a'.repeat(1023)}\n`.repeat(1024);
    const r = await transport(server).runScript(`cat <<'EOF' | wc -c\n${payload}EOF\necho done\n`);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString().replace(/\s+/g, ' ').trim(), '1048576 done');
  });

  test('a script that exits before the remote shell read all of stdin', async () => {
    const r = await transport(server).runScript(`exit 5\n${'# filler\n'.repeat(200_000)}`);
    assert.equal(r.code, 5);
  });

  test('one connection is shared by concurrent connect() calls and reused by every script', async () => {
    const before = server.connections;
    const t = transport(server);
    assert.equal(t.execCount, 0);
    await Promise.all([t.connect(), t.connect(), t.connect()]);
    const results = await Promise.all([t.runScript('echo 1'), t.runScript('echo 2')]);
    const third = await t.runScript('echo 3');
    assert.deepEqual([...results, third].map((r) => r.stdout.toString()), ['1\n', '2\n', '3\n']);
    assert.equal(server.connections - before, 1);
    assert.equal(t.execCount, 3);
    assert.equal(server.commands.at(-1), 'sh -s');
    // publickey first: no "none" probe
    assert.ok(!server.authMethods.includes('none'));
  });

  test('runScript connects by itself, and reconnects after close()', async () => {
    const t = transport(server);
    assert.equal((await t.runScript('echo a')).stdout.toString(), 'a\n');
    await t.close();
    assert.equal((await t.runScript('echo b')).stdout.toString(), 'b\n');
  });

  test('a script killed by a signal reports 128 + signal number', async () => {
    const r = await transport(server).runScript('kill -TERM $$\n');
    assert.equal(r.code, 143);
  });

  test('timeoutMs stops a hung script; the connection stays usable', async () => {
    const t = transport(server);
    await t.connect();
    await assert.rejects(t.runScript('sleep 10\n', { timeoutMs: 200 }), (e: Error) => e.name === 'TimeoutError' && /200 ms/.test(e.message));
    assert.equal((await t.runScript('echo still here')).stdout.toString(), 'still here\n');
  });

  test('an aborted signal stops the script with the abort reason', async () => {
    const t = transport(server);
    await t.connect();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(t.runScript('sleep 10\n', { signal: ac.signal }), { name: 'AbortError' });
  });
});

describe('become', () => {
  test('runs the script through sudo -n -- sh -s, never with the script on the command line', async () => {
    const r = await transport(server, { become: {} }).runScript('echo as-root\n');
    assert.equal(r.stdout.toString(), 'as-root\n');
    assert.equal(server.commands.at(-1), 'sudo -n -- sh -s');
    await transport(server, { become: { user: 'app' } }).runScript('true\n');
    assert.equal(server.commands.at(-1), 'sudo -n -u app -- sh -s');
  });

  test('sudo asking for a password is a ConnectionError with a NOPASSWD hint', async () => {
    server.env['FAKE_SUDO_PASSWORD'] = '1';
    try {
      await connectionError(transport(server, { become: {} }).runScript('true\n'), /sudo needs a password/, /tester ALL=\(root\) NOPASSWD: ALL/);
    } finally {
      delete server.env['FAKE_SUDO_PASSWORD'];
    }
  });
});

describe('host keys', () => {
  test('an unknown host key is refused with its fingerprint and how to trust it', async () => {
    const empty = join(dir, 'kh-empty');
    writeFileSync(empty, '');
    const err = await connectionError(
      transport(server, { knownHostsFile: empty }).connect(),
      new RegExp(`web1 \\(127\\.0\\.0\\.1:${server.port}\\): unknown host key ssh-ed25519 ${hostKeyFingerprint(server.hostKey.blob).replace(/[+/]/g, '\\$&')}`),
    );
    assert.ok(err.hint?.includes(`ssh-keyscan -p ${server.port} 127.0.0.1 >> ${empty}`), err.hint);
    assert.match(err.hint ?? '', /strict_host_key_checking: false/);
  });

  test('a changed host key is refused loudly', async () => {
    const other = keyPair();
    const kh = join(dir, 'kh-changed');
    writeFileSync(kh, `# old key\n[127.0.0.1]:${server.port} ${other.public.trim()}\n`);
    await connectionError(transport(server, { knownHostsFile: kh }).connect(), /HOST KEY CHANGED.*man-in-the-middle/s, /ssh-keygen -R/);
    assert.ok((await connectionError(transport(server, { knownHostsFile: kh }).connect(), /kh-changed:2/)).message.includes(hostKeyFingerprint(server.hostKey.blob)));
  });

  test('strict_host_key_checking false accepts any key', async () => {
    const empty = join(dir, 'kh-empty2');
    writeFileSync(empty, '');
    const r = await transport(server, { knownHostsFile: empty, strictHostKeyChecking: false }).runScript('echo ok');
    assert.equal(r.stdout.toString(), 'ok\n');
  });

  test('ssh_config StrictHostKeyChecking accept-new trusts and records a new key, once', async () => {
    const kh = join(dir, 'kh-accept-new');
    const config = join(dir, 'config-accept-new');
    writeFileSync(config, `Host *\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ${kh}\n`);
    await transport(server, { knownHostsFile: undefined, sshConfigFile: config }).connect();
    await new Promise((r) => setTimeout(r, 50)); // the line is appended asynchronously
    assert.equal(readFileSync(kh, 'utf8'), `[127.0.0.1]:${server.port} ${server.hostKey.public.trim()}\n`);
    await transport(server, { knownHostsFile: kh }).connect();
  });
});

describe('authentication', () => {
  test('a rejected key: the message says what was tried, never key contents', async () => {
    const err = await connectionError(
      transport(server, { identityFile: strangerKeyPath }).connect(),
      /authentication failed for user tester: tried publickey with key .*id_stranger \(ssh-ed25519\)/,
      /authorized_keys/,
    );
    const secret = strangerKey.private.split('\n')[2] ?? 'unreachable';
    assert.ok(!err.message.includes(secret) && !(err.hint ?? '').includes(secret));
    assert.match(err.message, /no ssh-agent/);
  });

  test('a missing key file is reported', async () => {
    await connectionError(transport(server, { identityFile: join(dir, 'nope') }).connect(), /no key to offer.*nope not found/);
  });

  test('keys from ssh-agent (the real one when installed, else an in-process ssh2 agent)', async (t) => {
    const socket = join(dir, 'agent.sock');
    const stop = await startAgent(socket, clientKeyPath);
    t.diagnostic(`agent: ${stop.kind}`);
    try {
      // No identity file and an empty HOME: only the agent can authenticate.
      const r = await transport(server, { identityFile: undefined, agentSocket: socket }).runScript('echo via-agent');
      assert.equal(r.stdout.toString(), 'via-agent\n');
      // A rejected key file first, then the agent: both are tried, in that order.
      const methods = server.authMethods.length;
      await transport(server, { identityFile: strangerKeyPath, agentSocket: socket }).connect();
      assert.ok(server.authMethods.length - methods >= 2);
    } finally {
      await stop.stop();
    }
  });
});

/** An ssh-agent holding one key, listening on `socket`. */
async function startAgent(socket: string, keyPath: string): Promise<{ kind: string; stop: () => Promise<void> }> {
  const hasAgent = spawnSync('ssh-agent', ['-h']).error === undefined && spawnSync('ssh-add', ['-h']).error === undefined;
  if (hasAgent) {
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let i = 0; i < 250 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
    const added = spawnSync('ssh-add', [keyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, encoding: 'utf8' });
    assert.equal(added.status, 0, added.stderr);
    return { kind: 'ssh-agent', stop: async () => void agent.kill() };
  }
  const parsed: ParsedKey | ParsedKey[] | Error = ssh2.utils.parseKey(readFileSync(keyPath));
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) throw new Error('cannot parse the test key');
  const agent = createServer((conn) => {
    const proto = new ssh2.AgentProtocol(false);
    proto.on('identities', (req) => proto.getIdentitiesReply(req, [key]));
    proto.on('sign', (req, pubKey, data) => {
      if (!pubKey.getPublicSSH().equals(key.getPublicSSH())) return proto.failureReply(req);
      proto.signReply(req, key.sign(data));
    });
    conn.pipe(proto).pipe(conn);
  });
  await new Promise<void>((resolve) => agent.listen(socket, resolve));
  return { kind: 'in-process ssh2 AgentProtocol', stop: () => new Promise((r) => agent.close(() => r())) };
}

describe('ssh_config', () => {
  test('an alias resolves HostName, Port, User, IdentityFile and UserKnownHostsFile', async () => {
    const kh = knownHosts('kh-alias', server);
    const config = join(dir, 'config-alias');
    writeFileSync(config, `Host myalias\n  HostName 127.0.0.1\n  Port ${server.port}\n  User ${USER}\n  IdentityFile ${clientKeyPath}\n  UserKnownHostsFile ${kh}\nHost *\n  User nobody\n`);
    const opts = { sshConfigFile: config, address: undefined, port: undefined, user: undefined, identityFile: undefined, knownHostsFile: undefined };
    const byAddress = transport(server, { ...opts, host: 'web1', address: 'myalias' });
    assert.equal((await byAddress.runScript('echo alias')).stdout.toString(), 'alias\n');
    const byName = transport(server, { ...opts, host: 'myalias' });
    assert.equal((await byName.runScript('echo name')).stdout.toString(), 'name\n');
    assert.deepEqual(byName.configWarnings, []);
  });

  test('explicit options win over ssh_config; ignored Match blocks are reported', async () => {
    const config = join(dir, 'config-override');
    writeFileSync(config, `Match user x\n  Port 2\nHost *\n  Port 1\n  User nobody\n  IdentityFile ${strangerKeyPath}\n`);
    const t = transport(server, { sshConfigFile: config });
    const r = await t.runScript('echo explicit');
    assert.equal(r.stdout.toString(), 'explicit\n');
    assert.match(t.configWarnings.join('\n'), /config-override:1: Match blocks are not supported/);
  });

  test('an unreadable ssh_config_file is a ConnectionError', async () => {
    await connectionError(transport(server, { sshConfigFile: join(dir, 'missing-config') }).connect(), /ssh_config file .* cannot be read/);
  });
});

describe('ProxyJump', () => {
  let jumpServer: TestServer;
  before(async () => {
    jumpServer = await startServer();
  });
  after(async () => {
    await jumpServer.close();
  });

  test('reaches the target through the jump host (resolved through ssh_config)', async () => {
    const kh = knownHosts('kh-jump', server, jumpServer);
    const config = join(dir, 'config-jump');
    writeFileSync(config, `Host jumpbox\n  HostName 127.0.0.1\n  Port ${jumpServer.port}\n  User ${USER}\n  IdentityFile ${clientKeyPath}\n`);
    const targetConnections = server.connections;
    const t = transport(server, { proxyJump: 'jumpbox', sshConfigFile: config, knownHostsFile: kh });
    assert.equal((await t.runScript('echo behind-the-jump')).stdout.toString(), 'behind-the-jump\n');
    const forwarded = jumpServer.tcpip.at(-1);
    assert.deepEqual(forwarded && { destIP: forwarded.destIP, destPort: forwarded.destPort }, { destIP: '127.0.0.1', destPort: server.port });
    assert.equal(server.connections - targetConnections, 1);
    assert.equal(server.remotePorts.at(-1), forwarded?.localPort, 'the target connection came from the jump host');

    const jumpClosedBefore = jumpServer.closed;
    await t.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(jumpServer.closed - jumpClosedBefore, 1, 'close() also ends the jump connection');
  });

  test('ProxyJump from the target ssh_config entry, with user@host:port syntax', async () => {
    const kh = knownHosts('kh-jump2', server, jumpServer);
    const config = join(dir, 'config-jump2');
    writeFileSync(config, `Host target\n  HostName 127.0.0.1\n  Port ${server.port}\n  ProxyJump ${USER}@127.0.0.1:${jumpServer.port}\n`);
    const before = jumpServer.tcpip.length;
    const t = transport(server, { address: 'target', port: undefined, sshConfigFile: config, knownHostsFile: kh });
    assert.equal((await t.runScript('echo ok')).stdout.toString(), 'ok\n');
    assert.equal(jumpServer.tcpip.length - before, 1);
  });

  test("the jump host's key is checked too", async () => {
    const kh = knownHosts('kh-jump-target-only', server);
    const err = await connectionError(
      transport(server, { proxyJump: `${USER}@127.0.0.1:${jumpServer.port}`, knownHostsFile: kh }).connect(),
      /^web1 \(127\.0\.0\.1:\d+\): through jump host 127\.0\.0\.1:\d+: unknown host key ssh-ed25519/,
    );
    assert.ok(err.message.includes(hostKeyFingerprint(jumpServer.hostKey.blob)));
  });

  test('an unknown target key behind a jump host gets a known_hosts line as the hint', async () => {
    const kh = knownHosts('kh-jump-only', jumpServer);
    const err = await connectionError(transport(server, { proxyJump: `${USER}@127.0.0.1:${jumpServer.port}`, knownHostsFile: kh }).connect(), /unknown host key/);
    assert.ok(err.hint?.includes(`[127.0.0.1]:${server.port} ssh-ed25519 `), err.hint);
  });
});

describe('network failures', () => {
  test('connect timeout against a server that never speaks', async () => {
    const sockets: Socket[] = [];
    const silent: NetServer = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      await connectionError(transport(server, { port, connectTimeoutMs: 300 }).connect(), /no SSH connection within 300 ms \(stuck in: SSH handshake\)/, /connect_timeout/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  test('keepalive: a connection that goes silent while a script runs fails instead of hanging', async () => {
    // A TCP relay to the server that can stop passing bytes both ways, like a dead NAT entry.
    let frozen = false;
    const sockets: Socket[] = [];
    const relay: NetServer = createServer((inbound) => {
      const outbound = netConnect(server.port, '127.0.0.1');
      sockets.push(inbound, outbound);
      inbound.on('data', (d: Buffer) => frozen || outbound.write(d));
      outbound.on('data', (d: Buffer) => frozen || inbound.write(d));
      inbound.on('error', () => {});
      outbound.on('error', () => {});
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const port = (relay.address() as { port: number }).port;
    try {
      const kh = join(dir, `kh-relay-${port}`);
      writeFileSync(kh, `[127.0.0.1]:${port} ${server.hostKey.public.trim()}\n`);
      const t = transport(server, { port, knownHostsFile: kh, keepaliveIntervalMs: 100 });
      await t.connect();
      const before = server.commands.length;
      const running = t.runScript('echo started; sleep 30\n');
      while (server.commands.length === before) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 300)); // the exec reply is on its way back
      frozen = true;
      await connectionError(running, /web1: (connection lost while the script was running|cannot start the remote shell): .*Keepalive timeout/, /rebooted or the network dropped/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => relay.close(r));
    }
  });

  test('connection refused', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    await connectionError(transport(server, { port }).connect(), new RegExp(`connection refused by 127\\.0\\.0\\.1:${port}`), new RegExp(`port ${port}`));
  });

  test('DNS failure', async () => {
    await connectionError(transport(server, { address: 'no-such-host.invalid' }).connect(), /cannot resolve the address no-such-host\.invalid/, /DNS/);
  });
});
