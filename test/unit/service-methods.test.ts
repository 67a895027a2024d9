/**
 * The `service` method drivers: rendering from the common model (checked against the real
 * parsers where this machine has them: python3's shlex for supervisor, sh -n for init scripts),
 * cron escaping, the systemd mapping including the version-dependent backoff, and validation.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cronEscape, cronLine } from '../../modules/service/methods/cron.ts';
import { parseEnvironment, parseProgram, renderProgram, shlexQuote, shlexSplit, supervisorKeys } from '../../modules/service/methods/supervisor.ts';
import { renderInitScript } from '../../modules/service/methods/sysv.ts';
import { backoffSupport, toSystemd } from '../../modules/service/methods/systemd.ts';
import { check, type ServiceDesired } from '../../modules/service/schema.ts';
import { renderUnit } from '../../modules/systemd_service/unit-render.ts';
import { loadConfiguration } from '../../src/config/playbook.ts';
import { parseUnit } from '../../modules/systemd_service/unit-parse.ts';

const ADVERSARIAL = ['', ' ', 'two words', "it's", '"', '\\', '\\"', '$HOME', '`x`', '%', '%(here)s', '#c', ';', '日本語', "a'b\"c", '--x=a b'];

const base: ServiceDesired = {
  name: 'app',
  description: 'Example app',
  command: ['/usr/bin/app', '--port', '8080'],
  working_directory: '/srv/app',
  environment: { TOKEN: 'x' },
  user: 'app',
};

const python = spawnSync('python3', ['-c', 'import shlex'], { encoding: 'utf8' }).status === 0;

describe('supervisor rendering', () => {
  test('command= words read back by shlex.split (python) after %-expansion', () => {
    assert.ok(python, 'python3 is needed to check against the real shlex (apt-get install python3)');
    const line = supervisorKeys({ ...base, command: ['/usr/bin/app', ...ADVERSARIAL] }).find(([k]) => k === 'command')?.[1] ?? '';
    // supervisor expands %(name)s and %% before splitting.
    const r = spawnSync('python3', ['-c', 'import sys, shlex, json; print(json.dumps(shlex.split(sys.argv[1] % {})))', line], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ['/usr/bin/app', ...ADVERSARIAL]);
    assert.deepEqual(shlexSplit(line.replace(/%%/g, '%')), ['/usr/bin/app', ...ADVERSARIAL]);
  });

  test('environment= values read back by supervisor\'s dict_of_key_value_pairs', () => {
    assert.ok(python, 'python3 is needed to run supervisor\'s own parser (apt-get install python3)');
    const values = ['plain', 'two words', "it's", 'say "hi" now', '$HOME', '%', 'a,b', 'k=v', '#x', '日本語'];
    const environment = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
    const raw = supervisorKeys({ ...base, environment }).find(([k]) => k === 'environment')?.[1] ?? '';
    // supervisor 4.2.5 datatypes.dict_of_key_value_pairs, after %-expansion.
    const code = [
      'import sys, shlex, json',
      'arg = sys.argv[1] % {}',
      'lexer = shlex.shlex(str(arg)); lexer.wordchars += "/.+-():"',
      'tokens = list(lexer); D = {}; i = 0',
      'while i < len(tokens):',
      '    k, eq, v = tokens[i:i+3]; assert eq == "="; D[k] = v.strip("\'\\""); i += 4',
      'print(json.dumps(D))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', code, raw], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), environment);
    assert.deepEqual(parseEnvironment(raw), environment);
    // supervisor strips quote characters at both ends of a value: such values are refused.
    assert.deepEqual(check({ ...base, autostart: { method: 'supervisor' }, environment: { A: 'say "hi"' } }).map((p) => p.attribute), ['environment.A']);
  });

  test('numprocs > 1 names processes by number; files logs per process; render -> parse is stable', () => {
    const d: ServiceDesired = { ...base, autostart: { method: 'supervisor' }, numprocs: 3, log: { destination: 'files' }, restart: { policy: 'never' } };
    const text = renderProgram(d);
    assert.match(text, /^\[program:app\]$/m);
    assert.match(text, /^numprocs=3$/m);
    assert.match(text, /^process_name=%\(program_name\)s_%\(process_num\)d$/m);
    assert.match(text, /^stdout_logfile=\/var\/log\/app\/stdout_%\(process_num\)d\.log$/m);
    assert.match(text, /^autorestart=false$/m);
    const parsed = parseProgram(text, 'app');
    assert.deepEqual(parsed.unmanaged, []);
    assert.deepEqual([...parsed.keys], supervisorKeys(d));
  });

  test('shlexQuote leaves safe words bare', () => {
    assert.equal(shlexQuote('/usr/bin/app'), '/usr/bin/app');
    assert.equal(shlexQuote("it's"), `'it'"'"'s'`);
  });
});

describe('cron-reboot rendering', () => {
  test('% and \\ are escaped for cron after shell quoting; the marker ends the line', () => {
    assert.equal(cronEscape("a%b\\c '%'"), "a\\%b\\\\c '\\%'");
    assert.equal(cronLine('app'), '@reboot /usr/local/lib/provision/respawn /etc/provision/service/app.conf >/dev/null 2>&1 # provision:service:app');
  });
});

describe('sysv rendering', () => {
  test('the init script is valid sh with LSB headers; $network only when waiting for the network', () => {
    const plain = renderInitScript(base);
    const net = renderInitScript({ ...base, wait_for_network: true });
    assert.equal(spawnSync('sh', ['-n'], { input: net }).status, 0);
    assert.match(plain, /^# Required-Start: {4}\$remote_fs \$syslog$/m);
    assert.match(net, /^# Required-Start: {4}\$remote_fs \$syslog \$network$/m);
    assert.match(net, /start-stop-daemon --start --quiet --background --pidfile "\$PIDFILE"/);
  });
});

describe('systemd mapping', () => {
  const withBackoff: ServiceDesired = { ...base, restart: { policy: 'always', delay: 2, backoff: { max_delay: 60, steps: 4 }, start_limit: { burst: 5, interval: 30 } }, hardening: { no_new_privileges: true, protect_system: 'strict', private_tmp: true }, wait_for_network: true, log: { destination: 'files' } };

  test('systemd 254+: RestartSteps/RestartMaxDelaySec, hardening, network, log files; parsed back identically', () => {
    const unit = renderUnit(toSystemd(withBackoff, 254));
    for (const line of ['RestartSteps=4', 'RestartMaxDelaySec=60', 'RestartSec=2', 'Restart=always', 'StartLimitBurst=5', 'StartLimitIntervalSec=30', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'After=network-online.target', 'Wants=network-online.target', 'StandardOutput=append:/var/log/app/stdout.log', 'StandardError=append:/var/log/app/stderr.log']) {
      assert.ok(unit.split('\n').includes(line), `${line} in\n${unit}`);
    }
    assert.deepEqual(parseUnit(unit).unmanaged_lines, []);
    assert.equal(backoffSupport(withBackoff, 254), 'native');
  });

  test('systemd 252: the backoff is refused, or left out when allow_downgrade', () => {
    assert.equal(backoffSupport(withBackoff, 252), 'refused');
    assert.ok(!renderUnit(toSystemd(withBackoff, 252)).includes('RestartSteps'));
    assert.equal(backoffSupport({ ...withBackoff, restart: { ...withBackoff.restart, allow_downgrade: true } }, 252), 'downgraded');
  });

  test('policy never is Restart=no', () => {
    assert.equal(toSystemd({ ...base, restart: { policy: 'never' } }, 252).restart, 'no');
  });
});

describe('validation of method limits', () => {
  test('supervisor cannot delay, back off or rate-limit: errors, or warnings with allow_downgrade', () => {
    const d: ServiceDesired = { ...base, autostart: { method: 'supervisor' }, restart: { delay: 5, backoff: { max_delay: 60 }, start_limit: { burst: 3, interval: 10 } } };
    const errors = check(d);
    assert.deepEqual(errors.map((p) => [p.attribute, p.severity ?? 'error']), [['restart.delay', 'error'], ['restart.backoff', 'error'], ['restart.start_limit', 'error']]);
    const warned = check({ ...d, restart: { ...d.restart, allow_downgrade: true } });
    assert.deepEqual(warned.map((p) => p.severity), ['warning', 'warning', 'warning']);
  });

  test('hardening needs systemd; numprocs needs supervisor; cron cannot wait for the network', () => {
    assert.deepEqual(check({ ...base, autostart: { method: 'sysv' }, hardening: { private_tmp: true } }).map((p) => p.attribute), ['hardening']);
    assert.deepEqual(check({ ...base, numprocs: 2 }).map((p) => p.attribute), ['numprocs']);
    assert.deepEqual(check({ ...base, autostart: { method: 'cron-reboot' }, wait_for_network: true }).map((p) => p.attribute), ['wait_for_network']);
    assert.deepEqual(check({ ...base, autostart: { method: 'supervisor' }, environment: { X: 'a\nb' } }).map((p) => p.attribute), ['environment.X']);
    assert.deepEqual(check(base), []);
  });
});

describe('validate with the method limits', () => {
  const play = (restart: string): string => {
    const p = join(mkdtempSync(join(tmpdir(), 'svc-validate-')), 'play.yml');
    writeFileSync(p, `- hosts: all\n  resources:\n    - kind: service\n      name: app\n      command: [/usr/bin/sleep, infinity]\n      autostart: { method: supervisor }\n      restart: ${restart}\n`);
    return p;
  };

  test('an inexpressible policy is an error at its attribute; with allow_downgrade a warning and the playbook is valid', () => {
    const refused = loadConfiguration({ playbook: play('{ policy: always, delay: 3 }'), environment: {} });
    assert.equal(refused.config, undefined);
    assert.deepEqual(refused.diagnostics.map((x) => [x.severity, x.path]), [['error', '/0/resources/0/restart.delay']]);
    const warned = loadConfiguration({ playbook: play('{ policy: always, delay: 3, allow_downgrade: true }'), environment: {} });
    assert.ok(warned.config);
    assert.deepEqual(warned.diagnostics.map((x) => x.severity), ['warning']);
    assert.match(warned.diagnostics[0]?.message ?? '', /cannot wait restart\.delay seconds; allow_downgrade: it is left out/);
  });
});
