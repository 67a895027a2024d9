/**
 * Health checks run for real on this machine: the check scripts under bash against a local TCP
 * server (node:net), a local HTTP server (node:http) through each HTTP client, commands and log
 * files; restart verification against a tiny local supervisor; the engine's batch (runHealth
 * over the local transport), the failure it reports, its JSON shape, and the playbook schema.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfiguration, type HostWork } from '../../src/config/playbook.ts';
import { validator } from '../../src/config/schema.ts';
import { resolveChecks, type HealthCheckSpec } from '../../src/core/health.ts';
import type { CommandResult } from '../../src/core/types.ts';
import { checkCommand, offsetsCommand, parseCheckResult, parseOffsets, restartCommand, urlParts, type CheckOutcome, type HttpClient } from '../../src/engine/health-scripts.ts';
import { runHealth, withHealth } from '../../src/engine/health.ts';
import type { HostPlan } from '../../src/engine/plan.ts';
import { LocalTransport } from '../../src/transport/local.ts';
import { provision } from '../e2e/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'provision-health-'));

function exec(argv: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
  });
}

/** One check run on this machine the way the engine runs it on a host. */
async function runCheck(spec: HealthCheckSpec, options: { offsets?: Map<string, number>; client?: HttpClient } = {}): Promise<CheckOutcome> {
  const [check] = resolveChecks([{ retries: 0, interval: 0.1, ...spec }]);
  assert.ok(check);
  const cmd = checkCommand(check, { journal: ['-u', 'x.service'], offsets: options.offsets ?? new Map(), httpClient: options.client });
  assert.equal(cmd.argv[0], 'bash', 'checks run under bash (for /dev/tcp)');
  return parseCheckResult(await exec(cmd.argv));
}

let tcp: TcpServer;
let http: HttpServer;
let tcpPort: number;
let httpPort: number;
let closedPort: number;
const requests: string[] = [];

before(async () => {
  assert.equal(spawnSync('bash', ['-c', 'exit 0']).status, 0, 'these tests need bash');
  tcp = createTcpServer((s) => s.end());
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  tcpPort = (tcp.address() as AddressInfo).port;
  http = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url} host=${req.headers.host}`);
    if (req.url === '/fail') {
      res.statusCode = 500;
      res.end('Traceback: database "main" is down\nsecond line');
    } else if (req.url === '/created') {
      res.statusCode = 201;
      res.end('made');
    } else {
      res.end(`hello from ${req.url}`);
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpPort = (http.address() as AddressInfo).port;
  // A port nothing listens on: bound, then released.
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

after(() => {
  tcp.close();
  http.close();
});

describe('tcp check', () => {
  test('passes when the port accepts a connection', async () => {
    const r = await runCheck({ tcp: { port: tcpPort } });
    assert.deepEqual(r, { ok: true, attempts: 1, evidence: `connected to 127.0.0.1:${tcpPort}` });
  });

  test('fails with "Connection refused" after every retry', async () => {
    const r = await runCheck({ tcp: { port: closedPort }, retries: 2, interval: 0.05 });
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 3);
    assert.match(r.evidence, new RegExp(`^127\\.0\\.0\\.1:${closedPort}: .*Connection refused$`));
  });

  test('a retry that finds the port open passes', async () => {
    const late = createTcpServer((s) => s.end());
    const [check] = resolveChecks([{ tcp: { port: closedPort }, retries: 20, interval: 0.2 }]);
    assert.ok(check);
    const running = exec(checkCommand(check, { journal: [], offsets: new Map() }).argv);
    setTimeout(() => late.listen(closedPort, '127.0.0.1'), 600);
    const r = parseCheckResult(await running);
    late.close();
    assert.equal(r.ok, true, r.evidence);
    assert.ok(r.attempts > 1, `attempts: ${r.attempts}`);
  });
});

describe('http check through each client', () => {
  const clients: HttpClient[] = ['bash', 'curl', 'wget'];
  for (const client of clients) {
    test(`${client}: status, body text and the evidence of a failure`, async () => {
      if (client !== 'bash') assert.equal(spawnSync('sh', ['-c', `command -v ${client}`]).status, 0, `this test needs ${client} on the machine`);
      const url = (path: string): string => `http://127.0.0.1:${httpPort}${path}`;
      assert.deepEqual(await runCheck({ http: { url: url('/health?x=1'), contains: 'from /health?x=1' } }, { client }), { ok: true, attempts: 1, evidence: `HTTP 200 (${client})` });
      assert.ok(requests.includes(`GET /health?x=1 host=127.0.0.1:${httpPort}`), requests.join('\n'));

      const bad = await runCheck({ http: { url: url('/fail') } }, { client });
      assert.equal(bad.ok, false);
      assert.equal(bad.evidence, 'HTTP 500 (expected 2xx); body: Traceback: database "main" is down second line');

      assert.equal((await runCheck({ http: { url: url('/created'), status: [200, 201] } }, { client })).ok, true);
      const wrongStatus = await runCheck({ http: { url: url('/created'), status: 200 } }, { client });
      assert.equal(wrongStatus.evidence, 'HTTP 201 (expected 200); body: made');

      const missing = await runCheck({ http: { url: url('/x'), contains: "it's $(missing)" } }, { client });
      assert.equal(missing.ok, false);
      assert.equal(missing.evidence, 'HTTP 200 but the body does not contain the text; body: hello from /x');

      const refused = await runCheck({ http: { url: `http://127.0.0.1:${closedPort}/` } }, { client });
      assert.equal(refused.ok, false);
      assert.match(refused.evidence, new RegExp(`^no HTTP response from http://127\\.0\\.0\\.1:${closedPort}/ \\(${client}\\): .+`));
    });
  }

  test('bash cannot speak https and says which tools would', async () => {
    const r = await runCheck({ http: { url: 'https://127.0.0.1:1/' } }, { client: 'bash' });
    assert.deepEqual(r, { ok: false, attempts: 1, evidence: 'https needs curl or wget on the host; neither is installed' });
  });

  test('URL parts: default ports, query, IPv6 literals', () => {
    assert.deepEqual(urlParts('http://example.org/a?b=c'), { host: 'example.org', port: '80', path: '/a?b=c', hostHeader: 'example.org' });
    assert.deepEqual(urlParts('https://example.org'), { host: 'example.org', port: '443', path: '/', hostHeader: 'example.org' });
    assert.deepEqual(urlParts('http://[::1]:8080/x'), { host: '::1', port: '8080', path: '/x', hostHeader: '[::1]:8080' });
  });
});

describe('command check', () => {
  test('exit code, stderr and stdout tails; values are never shell code', async () => {
    const marker = join(dir, 'pwned');
    const ok = await runCheck({ command: { argv: ['/bin/echo', `$(touch ${marker})`, "'; touch x"] } });
    assert.deepEqual(ok, { ok: true, attempts: 1, evidence: 'exit code 0' });
    assert.equal(existsSync(marker), false, 'an argument was run as shell code');
    const bad = await runCheck({ command: { argv: ['sh', '-c', 'echo partial; echo "cannot open /etc/app.conf" >&2; exit 3'] } });
    assert.deepEqual(bad, { ok: false, attempts: 1, evidence: 'exit code 3 (expected 0); stderr: cannot open /etc/app.conf; stdout: partial' });
    assert.equal((await runCheck({ command: { argv: ['sh', '-c', 'exit 3'], exit_code: 3 } })).ok, true);
  });

  test('a command that does not finish within timeout fails', async () => {
    const r = await runCheck({ command: { argv: ['sleep', '5'] }, timeout: 0.3 });
    assert.deepEqual(r, { ok: false, attempts: 1, evidence: 'no exit within 0.3s' });
  });
});

describe('log check on a file', () => {
  test('the window is what was appended since apply started (the measured offset)', async () => {
    const log = join(dir, 'app.log');
    writeFileSync(log, 'ERROR old failure before apply\n');
    const offsets = parseOffsets([log, join(dir, 'none.log')], await exec(offsetsCommand([log, join(dir, 'none.log')]).argv));
    assert.deepEqual([...offsets], [[log, 31]], 'sizes; a missing file has none');
    appendFileSync(log, 'started\nERROR: cannot bind 0.0.0.0:80\nERROR: retrying\n');
    const r = await runCheck({ log: { source: 'file', path: log, pattern: '^ERROR', max_matches: 1 } }, { offsets });
    assert.equal(r.ok, false);
    assert.deepEqual(r.evidence.split('\n'), [
      `2 matching lines in the lines appended to ${log} since apply started (at most 1 allowed):`,
      'ERROR: cannot bind 0.0.0.0:80',
      'ERROR: retrying',
    ]);
    const two = await runCheck({ log: { source: 'file', path: log, pattern: '^ERROR', max_matches: 2 } }, { offsets });
    assert.equal(two.ok, true, two.evidence);
  });

  test('without an apply: the last lines when the file changed within the window, none when it did not', async () => {
    const log = join(dir, 'plan.log');
    writeFileSync(log, 'ok\nFATAL x\n');
    const recent = await runCheck({ log: { source: 'file', path: log, pattern: 'FATAL', window: '1m' } });
    assert.equal(recent.ok, false);
    assert.match(recent.evidence, /^1 matching lines in the last 1000 lines of .*plan\.log \(modified within 60s\)/);
    const old = new Date(Date.now() - 3600_000);
    utimesSync(log, old, old);
    const quiet = await runCheck({ log: { source: 'file', path: log, pattern: 'FATAL', window: '1m' } });
    assert.equal(quiet.ok, true, quiet.evidence);
  });

  test('a missing file has no lines; a pattern grep cannot use is a failure', async () => {
    assert.equal((await runCheck({ log: { source: 'file', path: join(dir, 'absent.log'), pattern: 'x' } })).ok, true);
    const log = join(dir, 'any.log');
    writeFileSync(log, 'x\n');
    const r = await runCheck({ log: { source: 'file', path: log, pattern: '(' } });
    assert.equal(r.ok, false);
    assert.match(r.evidence, /^grep -E cannot use the pattern/);
  });
});

describe('restart verification', () => {
  const pidFile = join(dir, 'main.pid');
  const mainPid = { argv: ['cat', pidFile], label: 'main pid' };
  const started: number[] = [];
  after(() => {
    for (const p of started) {
      try {
        process.kill(-p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  function supervise(restarts: boolean): void {
    const loop = restarts ? 'while :; do sleep 1000 & echo $! >"$1"; wait; sleep 0.2; done' : 'sleep 1000 & echo $! >"$1"; wait';
    const child = spawn('sh', ['-c', loop, 'sh', pidFile], { stdio: 'ignore', detached: true });
    if (child.pid) started.push(child.pid);
  }

  async function pidWritten(): Promise<void> {
    for (let i = 0; i < 50 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
  }

  test('passes when the supervisor brings the killed process back', async () => {
    supervise(true);
    await pidWritten();
    const r = parseCheckResult(await exec(restartCommand(mainPid, 5).argv));
    assert.equal(r.ok, true, r.evidence);
    assert.match(r.evidence, /^main process \d+ killed; running again as \d+ after \d+s$/);
  });

  test('fails with "did not come back within Ns" when nothing restarts it', async () => {
    writeFileSync(pidFile, '');
    supervise(false);
    for (let i = 0; i < 50; i++) {
      if ((await exec(['cat', pidFile])).stdout.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = parseCheckResult(await exec(restartCommand(mainPid, 2).argv));
    assert.equal(r.ok, false);
    assert.match(r.evidence, /^main process \d+ killed; did not come back within 2s$/);
    const again = parseCheckResult(await exec(restartCommand(mainPid, 2).argv));
    assert.deepEqual(again, { ok: false, attempts: 1, evidence: 'no main process to kill: the service is not running' });
  });
});

describe('engine: one batch per host, failures with evidence', () => {
  function work(resources: string): HostWork {
    const play = join(dir, `play-${Math.random().toString(16).slice(2)}.yml`);
    writeFileSync(play, `- name: t\n  hosts: all\n  resources:\n${resources}`);
    const { config, diagnostics } = loadConfiguration({ playbook: play });
    assert.ok(config, diagnostics.map((d) => d.message).join('\n'));
    return config.hosts[0] as HostWork;
  }

  test('every check of every service runs in one remote exec; the failure names service, check and what was seen', async () => {
    const w = work(`    - kind: systemd_service
      name: web
      exec_start: [/bin/true]
      health:
        - { name: port, tcp: { port: ${tcpPort} } }
        - { name: page, http: { url: "http://127.0.0.1:${httpPort}/fail" }, retries: 1, interval: 0.1 }
    - kind: service
      name: worker
      command: [/bin/true]
      health:
        - command: { argv: [sh, -c, "echo no queue >&2; exit 2"] }
          retries: 0
`);
    const transport = new LocalTransport({ host: 'localhost', become: null });
    const results = await runHealth(transport, w, { phase: 'read' });
    assert.equal(transport.execCount, 1);
    assert.deepEqual(results.map((r) => [r.resource, r.check, r.kind, r.ok, r.attempts]), [
      ['systemd_service:web', 'port', 'tcp', true, 1],
      ['systemd_service:web', 'page', 'http', false, 2],
      ['service:worker', 'command#1', 'command', false, 1],
    ]);
    const plan: HostPlan = withHealth({ host: 'localhost', address: 'localhost', resources: [] }, results);
    assert.equal(plan.error?.phase, 'health');
    assert.equal(plan.error?.resource, 'systemd_service:web');
    assert.equal(
      plan.error?.message,
      `2 health checks failed: systemd_service:web page (GET http://127.0.0.1:${httpPort}/fail expecting 2xx): HTTP 500 (expected 2xx); body: Traceback: database "main" is down second line [2 attempts]; ` +
        'service:worker command#1 (["sh","-c","echo no queue >&2; exit 2"] exits 0): exit code 2 (expected 0); stderr: no queue',
    );
    const validate = validator('plan.schema.json');
    const doc = { format_version: 1, created_at: 'now', playbook: '/p.yml', inventory: null, limit: null, hosts: [plan], summary: { hosts: 1, hosts_failed: 1, create: 0, update: 0, delete: 0, refresh: 0, unchanged: 0 } };
    assert.ok(validate(doc), JSON.stringify(validate.errors));
  });

  test('no checks: no exec; all passing: no error; restart verification only for the services named', async () => {
    const transport = new LocalTransport({ host: 'localhost', become: null });
    assert.deepEqual(await runHealth(transport, work('    - kind: systemd_service\n      name: web\n      exec_start: [/bin/true]\n')), []);
    assert.equal(transport.execCount, 0);
    const w = work(`    - kind: systemd_service
      name: web
      exec_start: [/bin/true]
      verify: restart
      health: [{ tcp: { port: ${tcpPort} } }]
`);
    const results = await runHealth(transport, w);
    assert.deepEqual(results.map((r) => r.kind), ['tcp']);
    assert.equal(withHealth({ host: 'h', address: 'h', resources: [] }, results).error, undefined);
  });

  test('secrets in the evidence are redacted; a secret in a check is refused (it would be on a command line)', async () => {
    process.env['HC_SECRET'] = 'hunter2-health';
    const leak = join(dir, 'leak.txt');
    writeFileSync(leak, 'token=hunter2-health\n');
    const secretWork = work(`    - kind: service
      name: web
      command: [/bin/true]
      environment: { TOKEN: '{{env "HC_SECRET"}}' }
      health:
        - command: { argv: [sh, -c, 'cat "$0" >&2; exit 1', ${leak}] }
          retries: 0
`);
    const [r] = await runHealth(new LocalTransport({ host: 'localhost', become: null }), secretWork);
    assert.equal(r?.evidence, 'exit code 1 (expected 0); stderr: token=(sensitive)');
    // A secret in a check itself never gets as far as the host: validate refuses it.
    const play = join(dir, 'secret-in-check.yml');
    writeFileSync(play, `- name: t\n  hosts: all\n  resources:\n    - kind: service\n      name: web\n      command: [/bin/true]\n      health:\n        - command: { argv: [/bin/echo, '{{env "HC_SECRET"}}'] }\n`);
    const { config, diagnostics } = loadConfiguration({ playbook: play });
    assert.equal(config, undefined);
    assert.match(diagnostics.map((d) => d.message).join('\n'), /health\.0\.command\.argv\.1 holds a secret/);
  });
});

describe('plan --check-health on this machine', () => {
  test('a failing check is an error of the host (exit 1) with the evidence in text and JSON; passing checks exit 0', async () => {
    const play = join(dir, 'cli.yml');
    const write = (port: number): void =>
      writeFileSync(play, `- name: t\n  hosts: all\n  resources:\n    - kind: systemd_service\n      name: hc-cli-test\n      exec_start: [/bin/true]\n      health:\n        - { name: port, tcp: { port: ${port} }, retries: 0 }\n`);
    write(closedPort);
    const text = await provision(['plan', '--check-health', play]);
    assert.equal(text.code, 1, text.stdout + text.stderr);
    assert.match(text.stdout, /✗ health systemd_service:hc-cli-test port: tcp 127\.0\.0\.1:\d+\n {6}127\.0\.0\.1:\d+: .*Connection refused/);
    assert.match(text.stdout, /! error \(health\) in systemd_service:hc-cli-test: 1 health check failed/);
    const json = await provision(['plan', '--check-health', '--json', play]);
    const doc = JSON.parse(json.stdout) as { hosts: HostPlan[] };
    assert.equal(doc.hosts[0]?.health?.[0]?.ok, false);
    assert.equal(doc.hosts[0]?.error?.phase, 'health');
    write(tcpPort);
    const good = await provision(['plan', '--check-health', play]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /✓ health 1 of 1 check passed/);
    const without = await provision(['plan', '--json', play]);
    assert.equal((JSON.parse(without.stdout) as { hosts: HostPlan[] }).hosts[0]?.health, undefined, 'plain plan runs no checks');
  });
});

describe('playbook schema and checks of health', () => {
  function diagnostics(resource: string): string[] {
    const play = join(dir, `schema-${Math.random().toString(16).slice(2)}.yml`);
    writeFileSync(play, `- name: t\n  hosts: all\n  resources:\n${resource}`);
    return loadConfiguration({ playbook: play }).diagnostics.map((d) => `${d.path} ${d.message}${d.hint ? ` (${d.hint})` : ''}`);
  }

  test('exactly one check kind per entry, a typo gets a suggestion, windows and ports are checked', () => {
    const found = diagnostics(`    - kind: service
      name: web
      command: [/bin/true]
      health:
        - htp: { url: "http://127.0.0.1/" }
        - { tcp: { port: 1 }, command: { argv: [/bin/true] } }
        - tcp: { port: 70000 }
        - log: { source: journal, pattern: x, window: 5 minutes }
`);
    assert.deepEqual(found, [
      '/0/resources/0/health/0 a health check has exactly one of tcp, http, command and log',
      '/0/resources/0/health/0/htp unknown attribute "htp" (did you mean "http"?)',
      '/0/resources/0/health/1 a health check has exactly one of tcp, http, command and log',
      '/0/resources/0/health/2/tcp/port must be <= 65535 (The port that must accept a connection.)',
      `/0/resources/0/health/3/log/window "5 minutes" is not valid here (journal: entries of the last window (e.g. 30s, 5m, 1h). file: the lines appended since apply started; without an apply (plan --check-health, an apply with no change) the last 1000 lines if the file was modified within the window.)`,
    ]);
  });

  test('semantic mistakes: checks on a stopped service, a file log without path, duplicate names', () => {
    const found = diagnostics(`    - kind: systemd_service
      name: web
      exec_start: [/bin/true]
      state: stopped
      verify: restart
      health:
        - { name: a, log: { source: file, pattern: x } }
        - { name: a, tcp: { port: 1 } }
`);
    assert.deepEqual(found.map((f) => f.replace(/ \(.*$/, '')).sort(), [
      '/0/resources/0/health health checks and restart verification need a running service',
      '/0/resources/0/health two health checks are named "a"',
      '/0/resources/0/health.0.log.path a log check of source file needs a path',
    ]);
  });
});
