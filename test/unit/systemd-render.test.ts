/**
 * systemd_service rendering and parsing: systemd's quoting for ExecStart= and EnvironmentFile=,
 * render -> parse round trips for adversarial values, secrets kept out of the unit, hand-edited
 * units and env files read as systemd 252 reads them, and (when systemd-analyze is installed)
 * systemd's own verdict on rendered units.
 *
 * The expectations of the env-file table and the quoting were checked against systemd 252 itself
 * (libsystemd-shared's load_env_file, and argv/environ dumped by a service it started).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { systemdServiceModule } from '../../modules/systemd_service/index.ts';
import { parse } from '../../modules/systemd_service/probe.ts';
import { schema, type SystemdServiceDesired } from '../../modules/systemd_service/schema.ts';
import { parseEnvFile, parseExecStart, parseTimespan, parseUnit } from '../../modules/systemd_service/unit-parse.ts';
import { desiredUnit, formatSeconds, quoteArgument, renderEnvAssignment, renderEnvFile, renderExecStart, renderUnit } from '../../modules/systemd_service/unit-render.ts';
import { asShell, asShellAll } from '../support/commands.ts';

/** Strings that have broken quoting code somewhere. */
const ADVERSARIAL = [
  '', ' ', '  ', 'two words', ' lead', 'trail ', '"', "'", '\\', '\\\\', '\\"', 'a\\"b', "it's", 'say "hi"',
  '%', '%%', '%n', '%i', '100%', '$', '$$', '$HOME', '${HOME}', '$$HOME', 'a$b', '$1', '${', '}',
  ';', '\\;', 'x;y', ' ; ', '#', '#comment', '-', '--opt=va lue', '@x', '~', '*?[', '`cmd`', '$(cmd)', '|', '&', '>', '<',
  'tab\there', '\t', 'new\nline', '\n', 'cr\rx', '\r\n', '\x01', '\x1b[31m', '\x7f', '\x07\b\f\v',
  'é', 'ünïcødé ✓', '日本語', '🎉', '\u00a0', '\u2028', '\ufeff',
];

const base: SystemdServiceDesired = { name: 'app', exec_start: ['/usr/bin/app'] };

describe('ExecStart= quoting', () => {
  const table: [string, string][] = [
    ['plain', 'plain'],
    ['--port=8080', '--port=8080'],
    ['', '""'],
    ['two words', '"two words"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["it's", '"it\'s"'],
    ['back\\slash', '"back\\\\slash"'],
    ['100%', '100%%'],
    ['%n', '%%n'],
    ['$HOME', '$$HOME'],
    ['${HOME}', '"$${HOME}"'],
    ['$$', '$$$$'],
    [';', '";"'],
    ['tab\there', '"tab\\there"'],
    ['new\nline', '"new\\nline"'],
    ['\r', '"\\r"'],
    ['\x01\x1f\x7f', '"\\x01\\x1f\\x7f"'],
    ['é', '"é"'],
    ['50% of $x "quoted"', '"50%% of $$x \\"quoted\\""'],
  ];
  for (const [arg, rendered] of table) {
    test(`${JSON.stringify(arg)} -> ${rendered}`, () => assert.equal(quoteArgument(arg), rendered));
  }

  test('the program path doubles "%" but not "$" (systemd expands no variables in it)', () => {
    assert.equal(renderExecStart(['/opt/a$b/run', '$b']), '/opt/a$b/run $$b');
    assert.equal(renderExecStart(['/opt/my app/run']), '"/opt/my app/run"');
    assert.equal(renderExecStart(['/opt/100%/run']), '/opt/100%%/run');
  });

  test('a program path with "$$" or "${" passes argv[0] separately ("@" prefix) so both stay exact', () => {
    assert.equal(renderExecStart(['/opt/d${X}/run', 'x']), '@"/opt/d${X}/run" "/opt/d$${X}/run" x');
    assert.deepEqual(parseExecStart(renderExecStart(['/opt/d${X}/run', 'x'])), ['/opt/d${X}/run', 'x']);
    assert.deepEqual(parseExecStart(renderExecStart(['/opt/d$$/run'])), ['/opt/d$$/run']);
  });

  test('every adversarial argument, alone and all together, reads back identical', () => {
    for (const arg of ADVERSARIAL) {
      assert.deepEqual(parseExecStart(renderExecStart(['/usr/bin/app', arg])), ['/usr/bin/app', arg], JSON.stringify(arg));
    }
    assert.deepEqual(parseExecStart(renderExecStart(['/usr/bin/app', ...ADVERSARIAL])), ['/usr/bin/app', ...ADVERSARIAL]);
  });

  test('random strings over a hostile alphabet read back identical', () => {
    const alphabet = [...' \t\n\r"\'\\%$;{}#@-~`|&<>*?[]=.,é🎉\x01\x7fab0'];
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const argv = ['/usr/bin/app'];
      for (let a = rand(4); a >= 0; a--) argv.push(Array.from({ length: rand(12) }, () => alphabet[rand(alphabet.length)]).join(''));
      assert.deepEqual(parseExecStart(renderExecStart(argv)), argv, JSON.stringify(argv));
    }
  });

  test('the rendered line never ends in a backslash (which would continue the line)', () => {
    for (const arg of ADVERSARIAL) assert.doesNotMatch(renderExecStart(['/usr/bin/app', arg]), /\\$/);
  });
});

describe('reading hand-written ExecStart= lines as systemd 252 does', () => {
  const table: [string, string[] | null][] = [
    [`/opt/app   --flag    'single quoted'  a"b c"d`, ['/opt/app', '--flag', 'single quoted', 'ab cd']],
    ['/opt/app \\s\\x41\\u00e9\\101 "\\U0001F389" \'x\\ty\'', ['/opt/app', ' AéA', '🎉', 'x\ty']],
    ['/opt/app $$ a$b $$x "%%" \\;', ['/opt/app', '$', 'a$b', '$x', '%', ';']],
    ['"/opt/app" ""  \'\'', ['/opt/app', '', '']],
    // What depends on the host or changes how the command runs cannot be compared: null.
    ['/opt/app %n', null],
    ['/opt/app ${HOME}', null],
    ['/opt/app $HOME', null],
    ['-/opt/app', null],
    ['/opt/app ; /opt/other', null],
    ['/opt/app "unbalanced', null],
    ['/opt/app \\q', null],
    ['app', null],
  ];
  for (const [line, argv] of table) test(line, () => assert.deepEqual(parseExecStart(line), argv));
});

describe('EnvironmentFile= quoting', () => {
  const table: [string, string][] = [
    ['plain', 'K="plain"'],
    ['', 'K=""'],
    [' spaced ', 'K=" spaced "'],
    ['say "hi"', 'K="say \\"hi\\""'],
    ['back\\slash', 'K="back\\\\slash"'],
    ['$HOME ${X}', 'K="\\$HOME \\${X}"'],
    ['`cmd`', 'K="\\`cmd\\`"'],
    ["it's", 'K="it\'s"'],
    // Inside double quotes "\n" is NOT an escape for systemd: a newline is written as itself.
    ['line1\nline2', 'K="line1\nline2"'],
    ['\\\n', 'K="\\\\\n"'],
    ['tab\tcr\r', 'K="tab\tcr\r"'],
    ['#not a comment', 'K="#not a comment"'],
  ];
  for (const [value, rendered] of table) {
    test(`${JSON.stringify(value)} -> ${JSON.stringify(rendered)}`, () => {
      assert.equal(renderEnvAssignment('K', value), rendered);
      assert.deepEqual(parseEnvFile(`${rendered}\n`), { K: value });
    });
  }

  test('every adversarial value reads back identical, all in one file', () => {
    const env = Object.fromEntries(ADVERSARIAL.map((v, i) => [`V${i}`, v]));
    assert.deepEqual(parseEnvFile(renderEnvFile(env)), env);
  });

  // Hand-written files, read as systemd 252's load_env_file reads them (checked against it).
  const files: [string, Record<string, string>][] = [
    ['A=  spaced value  \n', { A: 'spaced value' }],
    ['A="double \\"q\\" \\\\ \\$ \\` \\n \\t \\x"\n', { A: 'double "q" \\ $ ` \\n \\t \\x' }],
    ["A='single \"q\" \\\\ $x'\n", { A: 'single "q" \\\\ $x' }],
    ['A=unquoted\\ escaped\\\\ \\"x\n', { A: 'unquoted escaped\\ "x' }],
    ['A=cont\\\ninued\n', { A: 'continued' }],
    ['A="cont\\\ninued"\n', { A: 'continued' }],
    ['# comment\n; other\nA=1\n', { A: '1' }],
    ['# comment \\\nA=swallowed\nB=2\n', { B: '2' }],
    ['  A  =  x  \n', { A: 'x' }],
    ['A=1\nA=2\n', { A: '2' }],
    ['A\nB=2\n', { B: '2' }],
    ['A=\nB=""\n', { A: '', B: '' }],
    ['A="unterminated\n', { A: 'unterminated\n' }],
    ['A=x # not a comment\n', { A: 'x # not a comment' }],
    ['export A=1\n', {}],
    ['1A=x\nA-B=y\n_ok=z\n', { _ok: 'z' }],
    ['A="a"b\n', { A: 'ab' }],
    ['A=x\r\nB=y\r\n', { A: 'x', B: 'y' }],
    ['A=last', { A: 'last' }],
  ];
  for (const [text, env] of files) test(`reads ${JSON.stringify(text)}`, () => assert.deepEqual(parseEnvFile(text), env));
});

describe('unit file', () => {
  const full: SystemdServiceDesired = {
    name: 'app',
    description: '100% "real" \\ $HOME',
    exec_start: ['/opt/my app/bin/server', ...ADVERSARIAL],
    working_directory: '/srv/app 100%',
    environment: { API_TOKEN: 'hunter2-$ecret"\n', DB_PASSWORD: 'correct horse battery staple' },
    user: 'app',
    group: '998',
    after: ['network-online.target', 'postgresql.service'],
    wants: ['network-online.target'],
    type: 'notify',
    restart: 'always',
    restart_sec: 0.25,
    start_limit_burst: 5,
    start_limit_interval_sec: 90,
  };

  test('renders with the managed header, reads back to the same model with no unmanaged lines', () => {
    const text = renderUnit(full);
    assert.ok(text.startsWith('# Managed by provision. Local changes will be overwritten.\n'));
    const parsed = parseUnit(text);
    assert.deepEqual(parsed.unmanaged_lines, []);
    assert.deepEqual(parsed.unit, JSON.parse(JSON.stringify(desiredUnit(full))));
  });

  test('every adversarial description and working directory reads back identical', () => {
    const allowed = new RegExp(schema.properties.description.pattern, 'u');
    const values = ADVERSARIAL.filter((v) => v !== '' && allowed.test(v));
    assert.ok(values.length > 30);
    for (const s of values) {
      assert.equal(parseUnit(renderUnit({ ...base, description: s })).unit.description, s, JSON.stringify(s));
      assert.equal(parseUnit(renderUnit({ ...base, working_directory: `/srv/${s}` })).unit.working_directory, `/srv/${s}`, JSON.stringify(s));
    }
  });

  test('environment values never appear in the unit, only the EnvironmentFile= path', () => {
    const text = renderUnit(full);
    for (const secret of Object.values(full.environment ?? {})) assert.ok(!text.includes(secret.trim()), 'secret leaked into the unit');
    assert.doesNotMatch(text, /^Environment=/m);
    assert.match(text, /^EnvironmentFile=\/etc\/provision\/env\/app\.env$/m);
    assert.doesNotMatch(renderUnit(base), /EnvironmentFile=/);
  });

  test('a oneshot gets RemainAfterExit=yes; an empty environment no EnvironmentFile=', () => {
    assert.match(renderUnit({ ...base, type: 'oneshot' }), /^RemainAfterExit=yes$/m);
    assert.doesNotMatch(renderUnit({ ...base, environment: {} }), /EnvironmentFile/);
  });

  test('hand edits read as systemd reads them', () => {
    const text = [
      '[Unit]',
      'Description = spaced  ',
      'After=a.target',
      'After=b.target c.target',
      '[Service]',
      'ExecStart=/usr/bin/app \\',
      '  --flag',
      'Restart=always',
      'Restart=no',
      'RestartSec=1min 30s',
      'User=%u',
      'Nice=5',
      '[Install]',
      'WantedBy=multi-user.target',
    ].join('\n');
    const parsed = parseUnit(text);
    assert.equal(parsed.unit.description, 'spaced');
    assert.deepEqual(parsed.unit.after, ['a.target', 'b.target', 'c.target']);
    assert.deepEqual(parsed.unit.exec_start, ['/usr/bin/app', '--flag']);
    assert.equal(parsed.unit.restart, 'no'); // the last assignment wins
    assert.equal(parsed.unit.restart_sec, 90);
    assert.deepEqual(parsed.unit.user, { unparsed: '%u' }); // a specifier: never equal to a desired value
    assert.deepEqual(parsed.unmanaged_lines, ['Restart=always', 'Nice=5']);
  });

  test('time spans', () => {
    const table: [string, number | null][] = [
      ['1', 1], ['0.25', 0.25], ['100ms', 0.1], ['1min 30s', 90], ['1min30s', 90], ['2h', 7200], ['1.5s', 1.5], ['500us', 0.0005],
      ['infinity', null], ['', null], ['5 parsecs', null],
    ];
    for (const [text, sec] of table) assert.equal(parseTimespan(text), sec, text);
    assert.equal(formatSeconds(0.25), '0.25');
    assert.equal(formatSeconds(90), '90');
    assert.equal(formatSeconds(1e-7), '0');
  });
});

describe('probe output', () => {
  const show = 'NeedDaemonReload=no\nUnitFileState=enabled\nFragmentPath=/etc/systemd/system/app.service\nSubState=running\nActiveState=active\nLoadState=loaded\nMainPID=42\nDropInPaths=\n';
  const unit = renderUnit(base);
  const frame = (body: string): string => `${Buffer.byteLength(body)}\n${body}`;

  test('properties in any order, file content with frame-like lines, multi-byte characters', () => {
    const tricky = `${unit}# env file 600 0 0 3\nunit absent\n# é🎉\n`;
    const stdout = `show 0 ${frame(show)}unit file 644 0 0 ${frame(tricky)}env absent\n`;
    const c = parse({ code: 0, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0) });
    assert.equal(c.main_pid, 42);
    assert.equal(c.running, true);
    assert.equal(c.enabled, true);
    assert.deepEqual(c.unmanaged_lines, ['# env file 600 0 0 3', 'unit absent', '# é🎉']);
    assert.equal(c.env_path, 'absent');
  });

  test('a failed systemctl (no systemd) is an error, not "absent"', () => {
    const stdout = 'show 1 0\nunit absent\nenv absent\n';
    assert.throws(() => parse({ code: 0, stdout: Buffer.from(stdout), stderr: Buffer.from('System has not been booted with systemd') }), /systemctl show failed/);
  });

  test('a truncated frame is an error', () => {
    assert.throws(() => parse({ code: 0, stdout: Buffer.from(`show 0 500\n${show}`), stderr: Buffer.alloc(0) }), /bad length/);
  });

  test('the probe script is constant: the name only travels as an argument', () => {
    const a = asShell(systemdServiceModule.probe({ ...base, name: 'a' }));
    const b = asShell(systemdServiceModule.probe({ ...base, name: "x'; rm -rf /; '" }));
    assert.equal(a.argv[2], b.argv[2]);
    assert.equal(b.argv[4], "x'; rm -rf /; '");
  });
});

describe('refresh and edges', () => {
  const m = systemdServiceModule;
  const current = parse({
    code: 0,
    stdout: Buffer.from(`show 0 ${Buffer.byteLength('ActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\n')}\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\nunit file 644 0 0 ${Buffer.byteLength(renderUnit(base))}\n${renderUnit(base)}env absent\n`),
    stderr: Buffer.alloc(0),
  });

  test('a watched file changed and nothing else: restart', () => {
    const r = m.refresh?.(base, current, m.diff(base, current));
    assert.equal(r?.reason, 'notified by a change');
    assert.deepEqual(asShellAll(r?.commands ?? []).map((c) => [...c.argv]), [['systemctl', 'restart', '--', 'app.service']]);
  });

  test('no second restart when the own change already restarts; none for a stopped service', () => {
    const changed = { ...base, restart: 'always' as const };
    assert.equal(m.refresh?.(changed, current, m.diff(changed, current)), null);
    const stopped = { ...base, state: 'stopped' as const };
    assert.equal(m.refresh?.(stopped, current, m.diff(stopped, current)), null);
  });

  test('an enablement-only change still restarts on notify', () => {
    const disabled = { ...base, enabled: false };
    const r = m.refresh?.(disabled, current, m.diff(disabled, current));
    assert.deepEqual(asShellAll(r?.commands ?? []).map((c) => [...c.argv]), [['systemctl', 'restart', '--', 'app.service']]);
  });

  test('edges: account, program, working directory, watched files with notify', () => {
    assert.deepEqual(m.edges({ ...base, user: 'app', group: '0', working_directory: '/srv/app', watch: ['/etc/app.yml'] }), [
      { kind: 'user', name: 'app' },
      { kind: 'file', name: '/usr/bin/app' },
      { kind: 'directory', name: '/srv/app' },
      { kind: 'file', name: '/etc/app.yml', notify: true },
    ]);
  });
});

const analyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();

describe('systemd-analyze verify', () => {
  test('systemd-analyze is available (package systemd, a dependency of systemd-container)', () => {
    assert.notEqual(analyze, '', 'systemd-analyze is not installed');
  });
  test('accepts rendered units without a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'provision-unit-'));
    try {
      const units: SystemdServiceDesired[] = [
        { name: 'plain', exec_start: ['/bin/sleep', '60'] },
        { ...full(), name: 'full' },
        { name: 'shot', exec_start: ['/bin/sleep', '1'], type: 'oneshot', restart: 'no', enabled: false },
      ];
      for (const u of units) {
        const path = join(dir, `${u.name}.service`);
        writeFileSync(path, renderUnit(u));
        const r = spawnSync(analyze, ['verify', path], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr.trim(), '', `systemd-analyze warned about ${u.name}.service:\n${r.stderr}\n${renderUnit(u)}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('rejects a broken setting (the check itself works)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'provision-unit-'));
    try {
      const path = join(dir, 'bad.service');
      writeFileSync(path, renderUnit({ name: 'bad', exec_start: ['/bin/sleep', '1'] }).replace('Restart=on-failure', 'Restart=sometimes'));
      const out = execFileSync('sh', ['-c', '"$0" verify "$1" 2>&1 || true', analyze, path], { encoding: 'utf8' });
      assert.match(out, /restart specifier/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  function full(): SystemdServiceDesired {
    return {
      name: 'full',
      description: '100% "quoted" \\ $HOME',
      exec_start: ['/bin/sleep', ...ADVERSARIAL],
      working_directory: '/tmp',
      environment: { SECRET: 'x' },
      user: 'daemon',
      group: 'daemon',
      after: ['network-online.target'],
      wants: ['network-online.target'],
      type: 'exec',
      restart: 'always',
      restart_sec: 0.5,
      start_limit_burst: 5,
      start_limit_interval_sec: 30,
    };
  }
});
