/**
 * The pure parts of the Windows service methods: the FailureActions binary, durations, Windows
 * command-line quoting, SIDs, the restart policy mapped to SCM recovery, NSSM AppExit and task
 * restarts, and the checks that refuse what a method cannot do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { moduleFor } from '../../modules/registry.ts';
import { loadConfiguration } from '../../src/config/playbook.ts';
import { isPowerShell } from '../../src/core/types.ts';
import { defaultFacts, readFixtures } from '../support/fixtures.ts';
import { check, type ServiceDesired } from '../../modules/service/schema.ts';
import { quoteWindowsArg, sameCommand, splitWindowsArgs, splitWindowsCommandLine, windowsCommandLine } from '../../modules/service/windows/command-line.ts';
import { durationSeconds, isoDuration, sameDuration } from '../../modules/service/windows/duration.ts';
import { windowsEdges } from '../../modules/service/windows/edges.ts';
import { fingerprintMatches } from '../../modules/service/windows/fingerprint.ts';
import { windowsScript } from '../../modules/service/windows/script.ts';
import { decodeFailureActions, encodeFailureActions, normaliseActions, nssmRestart, scmRecovery, taskRestart } from '../../modules/service/windows/recovery.ts';
import { accountKind, knownSid, sameAccount, serviceSid } from '../../modules/service/windows/sid.ts';

const base: ServiceDesired = { name: 'demo', command: ['C:\\Program Files\\Demo\\demo.exe', '--port', '8080'], autostart: { method: 'windows-service' } };

describe('FailureActions (REG_BINARY)', () => {
  test('decodes the layout sc.exe failure writes: reset, two unused slots, count, offset 0x14, {type, delay} pairs', () => {
    // sc.exe failure demo reset= 86400 actions= restart/5000/restart/30000/none/0, as read from the registry.
    const hex = '80510100' + '00000000' + '00000000' + '03000000' + '14000000' + '01000000' + '88130000' + '01000000' + '30750000' + '00000000' + '00000000';
    const fa = decodeFailureActions(Buffer.from(hex, 'hex'));
    assert.deepEqual(fa, { reset: 86400, actions: [{ type: 'restart', delay: 5000 }, { type: 'restart', delay: 30000 }, { type: 'none', delay: 0 }] });
    assert.equal(encodeFailureActions(fa.reset, fa.actions).toString('hex'), hex);
  });

  test('reboot and run-command actions keep their type; truncated data is an error', () => {
    const b = encodeFailureActions(60, [{ type: 'reboot', delay: 1000 }, { type: 'run', delay: 0 }]);
    assert.deepEqual(decodeFailureActions(b).actions.map((a) => a.type), ['reboot', 'run']);
    assert.throws(() => decodeFailureActions(b.subarray(0, 24)), /announces 2 actions/);
    assert.throws(() => decodeFailureActions(Buffer.alloc(8)), /shorter than its 20-byte header/);
  });

  test('[] and a list of only "none" are the same (no recovery)', () => {
    assert.deepEqual(normaliseActions([{ type: 'none', delay: 500 }]), []);
    assert.deepEqual(normaliseActions([{ type: 'restart', delay: 1000 }, { type: 'none', delay: 7 }]), [{ type: 'restart', delay: 1000 }, { type: 'none', delay: 0 }]);
  });
});

describe('restart policy mappings', () => {
  test('SCM: on-failure restarts after the delay, the last action repeating, a one-day reset, non-crash failures count', () => {
    assert.deepEqual(scmRecovery({ ...base, restart: { policy: 'on-failure', delay: 10 } }), {
      reset: 86400,
      actions: [{ type: 'restart', delay: 10000 }, { type: 'restart', delay: 10000 }, { type: 'restart', delay: 10000 }],
      on_non_crash: true,
    });
  });

  test('SCM: always maps like on-failure (validate refuses or warns); never clears everything', () => {
    assert.deepEqual(scmRecovery({ ...base, restart: { policy: 'always', delay: 1 } }).actions.length, 3);
    assert.deepEqual(scmRecovery({ ...base, restart: { policy: 'never' } }), { reset: 0, actions: [], on_non_crash: false });
  });

  test('SCM: backoff doubles up to max_delay; start_limit ends with "none" after burst restarts within the interval', () => {
    const r = scmRecovery({ ...base, restart: { policy: 'on-failure', delay: 5, backoff: { max_delay: 60 } } });
    assert.deepEqual(r.actions.map((a) => a.delay), [5000, 10000, 20000, 40000, 60000]);
    const l = scmRecovery({ ...base, restart: { policy: 'on-failure', delay: 2, start_limit: { burst: 3, interval: 600 } } });
    assert.equal(scmRecovery({ ...base, restart: { start_limit: { burst: 20, interval: 600 } } }).actions.length, 21, 'one restart per allowed start, then none');
    assert.deepEqual(l, { reset: 600, actions: [{ type: 'restart', delay: 2000 }, { type: 'restart', delay: 2000 }, { type: 'restart', delay: 2000 }, { type: 'none', delay: 0 }], on_non_crash: true });
  });

  test('NSSM: AppExit per policy, per-code overrides, AppRestartDelay in ms, AppThrottle from backoff', () => {
    assert.deepEqual(nssmRestart({ ...base, restart: { policy: 'always' } }).exit, { Default: 'Restart' });
    assert.deepEqual(nssmRestart({ ...base, restart: { policy: 'on-failure' } }).exit, { Default: 'Restart', '0': 'Exit' });
    assert.deepEqual(nssmRestart({ ...base, restart: { policy: 'never' } }).exit, { Default: 'Exit' });
    assert.deepEqual(nssmRestart({ ...base }, { '3': 'Suicide' }).exit, { Default: 'Restart', '0': 'Exit', '3': 'Suicide' });
    assert.equal(nssmRestart({ ...base, restart: { delay: 2.5 } }).restart_delay, 2500);
    assert.equal(nssmRestart({ ...base }).throttle, 1500);
    assert.equal(nssmRestart({ ...base, restart: { backoff: { max_delay: 30 }, allow_downgrade: true } }).throttle, 30000);
  });

  test('Task Scheduler: restart count from start_limit (default 3), interval at least a minute, never = none', () => {
    assert.deepEqual(taskRestart({ ...base }), { count: 3, interval: 60 });
    assert.deepEqual(taskRestart({ ...base, restart: { delay: 300, start_limit: { burst: 7, interval: 3600 } } }), { count: 7, interval: 300 });
    assert.deepEqual(taskRestart({ ...base, restart: { policy: 'never' } }), { count: 0, interval: 0 });
  });
});

describe('password fingerprints', () => {
  test('PBKDF2-HMAC-SHA1 as .NET Rfc2898DeriveBytes writes it (RFC 6070 test vector)', () => {
    const salt = Buffer.from('saltSALTsaltSALTsaltSALTsaltSALTsalt').toString('base64');
    const hash = Buffer.from('3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038', 'hex').toString('base64');
    assert.ok(fingerprintMatches('passwordPASSWORDpassword', `pbkdf2-sha1$4096$${salt}$${hash}`));
    assert.ok(!fingerprintMatches('passwordPASSWORDpassworD', `pbkdf2-sha1$4096$${salt}$${hash}`));
  });

  test('no record, or one in another format, never matches', () => {
    assert.ok(!fingerprintMatches('x', null));
    assert.ok(!fingerprintMatches('x', 'sha256$abc'));
  });
});

describe('durations', () => {
  test('ISO 8601, TimeSpan and seconds compare as one duration', () => {
    assert.ok(sameDuration('PT30S', '00:00:30'));
    assert.ok(sameDuration('PT30S', 30));
    assert.ok(sameDuration('P1DT2H', '1.02:00:00'));
    assert.ok(sameDuration('PT1H30M', 5400));
    assert.ok(!sameDuration('PT30S', 'PT3M'));
    assert.ok(sameDuration('', 'PT0S'));
    assert.equal(durationSeconds('soon'), null);
    assert.ok(!sameDuration('soon', 'soon'), 'an unreadable duration never equals anything');
  });

  test('seconds written back as Task Scheduler writes them', () => {
    assert.equal(isoDuration(30), 'PT30S');
    assert.equal(isoDuration(90), 'PT1M30S');
    assert.equal(isoDuration(0), 'PT0S');
    assert.equal(isoDuration(3 * 86400), 'P3D');
    assert.equal(isoDuration(86400 + 7200), 'P1DT2H');
  });
});

describe('Windows command lines (CommandLineToArgvW)', () => {
  const tricky = ['plain', 'two words', '', 'a"b', 'trailing\\', 'C:\\Program Files\\x\\', 'back\\\\"slash', '\\\\server\\share', '日本語', '$(x)', "it's"];
  test('every argument survives quoting and splitting', () => {
    const line = windowsCommandLine(['C:\\Program Files\\Demo\\demo.exe', ...tricky]);
    assert.deepEqual(splitWindowsCommandLine(line), ['C:\\Program Files\\Demo\\demo.exe', ...tricky]);
    for (const a of tricky) assert.deepEqual(splitWindowsArgs(quoteWindowsArg(a)), [a], a);
  });

  test('the program is always quoted; an unquoted ImagePath still splits at the first blank', () => {
    assert.equal(windowsCommandLine(['C:\\demo\\demo.exe', '--x']), '"C:\\demo\\demo.exe" --x');
    assert.deepEqual(splitWindowsCommandLine('C:\\Windows\\System32\\svchost.exe -k netsvcs -p'), ['C:\\Windows\\System32\\svchost.exe', '-k', 'netsvcs', '-p']);
  });

  test('programs compare as paths (case, slashes), arguments exactly', () => {
    assert.ok(sameCommand(['C:\\Demo\\demo.exe', '--x'], ['c:/demo/DEMO.EXE', '--x']));
    assert.ok(!sameCommand(['C:\\Demo\\demo.exe', '--x'], ['C:\\Demo\\demo.exe', '--X']));
  });
});

describe('accounts by SID', () => {
  test('virtual account SIDs are computed like sc.exe showsid', () => {
    // Well known: the TrustedInstaller service SID.
    assert.equal(serviceSid('TrustedInstaller'), 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464');
    assert.equal(knownSid('NT SERVICE\\trustedinstaller'), serviceSid('TrustedInstaller'));
  });

  test('built-in accounts in every spelling; others need the host', () => {
    for (const n of ['LocalSystem', 'NT AUTHORITY\\SYSTEM', 'system']) assert.equal(knownSid(n), 'S-1-5-18');
    for (const n of ['NT AUTHORITY\\LocalService', 'NT AUTHORITY\\LOCAL SERVICE', 'LocalService']) assert.equal(knownSid(n), 'S-1-5-19');
    assert.equal(knownSid('NT Authority\\NetworkService'), 'S-1-5-20');
    assert.equal(knownSid('s-1-5-32-544'), 'S-1-5-32-544');
    assert.equal(knownSid('CONTOSO\\svc-app'), null);
  });

  test('same account when the SIDs match, whatever the names; by name only when a SID is unknown', () => {
    assert.ok(sameAccount('LocalSystem', null, 'NT AUTHORITY\\SYSTEM', null));
    assert.ok(sameAccount('.\\svc', 'S-1-5-21-1-2-3-1001', 'WIN-APP01\\svc', 'S-1-5-21-1-2-3-1001'));
    assert.ok(!sameAccount('CONTOSO\\svc', 'S-1-5-21-1-2-3-1001', 'CONTOSO\\svc', 'S-1-5-21-1-2-3-1002'));
    assert.ok(sameAccount('CONTOSO\\New', null, 'contoso\\new', null));
  });

  test('kinds: built-in, virtual, gMSA, user', () => {
    assert.deepEqual(['LocalService', 'NT SERVICE\\demo', 'CONTOSO\\gmsa-demo$', '.\\svc'].map(accountKind), ['builtin', 'virtual', 'gmsa', 'user']);
  });
});

describe('Windows checks and edges', () => {
  const attrs = (d: ServiceDesired): string[] => check(d).map((p) => `${p.severity ?? 'error'}:${p.attribute}`);

  test('a POSIX program, user/group, a user without password and environment under the SCM are refused', () => {
    assert.deepEqual(attrs({ ...base, command: ['/usr/bin/demo'] }), ['error:command.0']);
    assert.deepEqual(attrs({ ...base, user: 'demo' }), ['error:user']);
    assert.deepEqual(attrs({ ...base, windows: { account: 'CONTOSO\\svc' } }), ['error:windows.account']);
    assert.deepEqual(attrs({ ...base, windows: { account: 'NT SERVICE\\demo', password: 'x' } }), ['error:windows.password']);
    assert.deepEqual(attrs({ ...base, environment: { A: 'b' } }), ['error:environment']);
    assert.deepEqual(attrs({ ...base, windows: { start_mode: 'disabled' } }), ['error:state']);
    assert.deepEqual(attrs({ ...base, windows: { start_mode: 'disabled' }, state: 'stopped' }), []);
    assert.deepEqual(attrs({ ...base, autostart: { method: 'nssm' }, environment: { A: 'b' } }), []);
  });

  test('what a method cannot do is an error, or a warning with allow_downgrade', () => {
    assert.deepEqual(attrs({ ...base, restart: { policy: 'always' } }), ['error:restart.policy']);
    assert.deepEqual(attrs({ ...base, restart: { policy: 'always', allow_downgrade: true } }), ['warning:restart.policy']);
    assert.deepEqual(attrs({ ...base, autostart: { method: 'scheduled-task' }, restart: { delay: 5 } }), ['error:restart.delay']);
    assert.deepEqual(attrs({ ...base, autostart: { method: 'nssm' }, restart: { start_limit: { burst: 3, interval: 60 } } }), ['error:restart.start_limit']);
  });

  test('windows settings of another method are refused, except a task path kept to find a task left by a switch', () => {
    assert.deepEqual(attrs({ ...base, windows: { task: { path: '\\Demo\\' } } }), []);
    assert.deepEqual(attrs({ ...base, windows: { task: { path: '\\Demo\\', run_level: 'highest' } } }), ['error:windows.task']);
    assert.deepEqual(attrs({ ...base, autostart: { method: 'nssm' }, windows: { sid_type: 'unrestricted' } }), ['error:windows.sid_type']);
    assert.deepEqual(attrs({ name: 'demo', command: ['/usr/bin/demo'], windows: { account: 'LocalService' } }), ['error:windows']);
    assert.deepEqual(attrs({ name: 'demo', command: ['/usr/bin/demo'], working_directory: 'C:\\demo' }), ['error:working_directory']);
  });

  test('a user or gMSA account gets an edge to user_right SeServiceLogonRight, with a warning when missing; built-in and virtual accounts do not', () => {
    const [edge] = windowsEdges({ ...base, windows: { account: 'CONTOSO\\gmsa-demo$' } });
    assert.equal(edge?.kind, 'user_right');
    assert.equal(edge?.name, 'SeServiceLogonRight');
    assert.match(edge?.ifMissing?.message ?? '', /SeServiceLogonRight/);
    assert.deepEqual(windowsEdges({ ...base, windows: { account: 'NT SERVICE\\demo' } }), []);
    assert.deepEqual(windowsEdges({ ...base }), []);
  });
});

/** Windows resources validate only for Windows hosts. */
const WINDOWS_INVENTORY = 'playbooks/inventory.windows.example.yml';

describe('validate: Log on as a service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'provision-wsvc-'));
  const play = (withRight: boolean, account: string): string => {
    const file = join(dir, `p-${withRight}-${account.length}.yml`);
    const right = withRight ? `    - { kind: user_right, name: SeServiceLogonRight, accounts: ['${account}'] }\n` : '';
    // The right is listed after the service: only the automatic edge puts it first.
    writeFileSync(file, `- hosts: all\n  resources:\n    - kind: service\n      name: demo\n      command: ['C:\\demo\\demo.exe']\n      autostart: { method: windows-service }\n      windows: { account: '${account}' }\n${right}`);
    return file;
  };
  const warnings = (file: string): string[] => loadConfiguration({ playbook: file, inventory: WINDOWS_INVENTORY, environment: {} }).diagnostics.map((d) => `${d.severity}: ${d.message}`);

  test('a gMSA without a user_right SeServiceLogonRight in the playbook is a warning, not an error', () => {
    const w = warnings(play(false, 'CONTOSO\\gmsa-demo$'));
    assert.equal(w.length, 1, w.join('\n'));
    assert.match(w[0] ?? '', /^warning: service:demo: the account CONTOSO\\gmsa-demo\$ needs the right SeServiceLogonRight/);
  });

  test('with the user_right in the playbook, or a virtual account, nothing is reported and the right comes first', () => {
    const r = loadConfiguration({ playbook: play(true, 'CONTOSO\\gmsa-demo$'), inventory: WINDOWS_INVENTORY, environment: {} });
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.config?.hosts[0]?.graph.order.map((x) => x.address), ['user_right:SeServiceLogonRight', 'service:demo']);
    assert.deepEqual(warnings(play(false, 'NT SERVICE\\demo')), []);
  });
});

describe('passwords stay out of plans', () => {
  test('for every fixture with a password: not in the diff, not in a label, only in script inputs', () => {
    const mod = moduleFor('service');
    assert.ok(mod);
    let checked = 0;
    for (const { file, fixture } of readFixtures('service')) {
      const password = (fixture.desired as unknown as ServiceDesired).windows?.password;
      if (password === undefined) continue;
      const facts = defaultFacts(mod, fixture.desired);
      const current = mod.parse({ code: 0, stdout: Buffer.from(fixture.probe.stdout), stderr: Buffer.alloc(0) }, fixture.desired, facts);
      const diff = mod.diff(fixture.desired, current);
      assert.ok(!JSON.stringify(diff).includes(password), `${file}: the diff holds the password`);
      assert.ok(!JSON.stringify(current).includes(password), `${file}: the read state holds the password`);
      if (diff.status !== 'change') continue;
      const commands = mod.apply(fixture.desired, current, diff);
      for (const c of commands) assert.ok(!c.label.includes(password), `${file}: a label holds the password`);
      assert.ok(commands.some((c) => isPowerShell(c) && JSON.stringify(c.input).includes(password)), `${file}: the password is not sent at all`);
      checked++;
    }
    assert.ok(checked >= 3, `only ${checked} fixtures with a password change`);
  });
});

describe('script preludes', () => {
  test('every Windows script that uses $joinArgs, $quote or $resolve gets the prelude that defines it', () => {
    const dirs = ['modules/service/windows', 'modules/user_right'];
    let uses = 0;
    for (const dir of dirs) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.ps1'))) {
        const name = `${dir.replace(/^modules\//, '')}/${file.replace(/\.ps1$/, '')}`;
        const text = windowsScript(name).text;
        for (const helper of ['joinArgs', 'quote', 'resolve']) {
          if (!new RegExp(`& \\$${helper}\\b`).test(text)) continue;
          uses++;
          assert.match(text, new RegExp(`^\\$${helper} = \\{$`, 'm'), `${name} uses $${helper} without defining it`);
        }
      }
    }
    assert.ok(uses >= 6, `only ${uses} uses found: the check looks at nothing`);
  });
});
