import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { hostLineMatches, parseProxyJump, resolveSshConfig, type ResolvedSshConfig } from '../../src/transport/ssh-config.ts';

const home = mkdtempSync(join(tmpdir(), 'ssh-config-test-'));
after(() => rmSync(home, { recursive: true, force: true }));
const ctx = { homeDir: home, localUser: 'me' };

describe('Host pattern lists', () => {
  const cases: [string[], string, boolean][] = [
    [['web1'], 'web1', true],
    [['WEB1'], 'web1', true],
    [['web1'], 'web10', false],
    [['web*'], 'web10', true],
    [['web?'], 'web1', true],
    [['web?'], 'web10', false],
    [['*.example.com'], 'a.example.com', true],
    [['*.example.com'], 'example.com', false],
    [['db', 'web*'], 'web3', true],
    [['*', '!bastion'], 'bastion', false],
    [['!bastion', '*'], 'web1', true],
    [['!bastion'], 'web1', false], // only a negation never matches
    [['10.0.0.*'], '10.0.0.7', true],
    [['a.b'], 'axb', false], // the dot is literal
  ];
  for (const [patterns, host, expected] of cases) {
    test(`${patterns.join(' ')} vs ${host} -> ${expected}`, () => {
      assert.equal(hostLineMatches(patterns, host), expected);
    });
  }
});

interface Case {
  name: string;
  config: string;
  alias: string;
  expected: Partial<ResolvedSshConfig>;
  context?: { user?: string; port?: number };
}

const cases: Case[] = [
  {
    name: 'basic fields, key value and key=value forms, case-insensitive keywords',
    config: 'Host web1\n  HostName 10.0.0.5\n  port=2222\n  USER = deploy\n  IdentityFile ~/.ssh/deploy\n',
    alias: 'web1',
    expected: { hostName: '10.0.0.5', port: 2222, user: 'deploy', identityFiles: [join(home, '.ssh/deploy')] },
  },
  {
    name: 'first obtained value wins; IdentityFile accumulates in order',
    config: 'Host web*\n  User first\n  IdentityFile /k/one\nHost *\n  User second\n  Port 2200\n  IdentityFile /k/two\n',
    alias: 'web2',
    expected: { user: 'first', port: 2200, identityFiles: ['/k/one', '/k/two'] },
  },
  {
    name: 'global lines before any Host apply to all hosts',
    config: 'User everyone\nHost web1\n  User ignored\n',
    alias: 'web1',
    expected: { user: 'everyone' },
  },
  {
    name: 'negated pattern excludes a host',
    config: 'Host * !bastion\n  ProxyJump bastion\nHost bastion\n  HostName 192.0.2.1\n',
    alias: 'bastion',
    expected: { hostName: '192.0.2.1', proxyJump: undefined },
  },
  {
    name: 'ProxyJump applies to the other hosts',
    config: 'Host * !bastion\n  ProxyJump admin@bastion:2222,second\n',
    alias: 'web1',
    expected: { proxyJump: 'admin@bastion:2222,second' },
  },
  {
    name: 'ProxyJump none disables a later ProxyJump (first value wins)',
    config: 'Host internal\n  ProxyJump none\nHost *\n  ProxyJump bastion\n',
    alias: 'internal',
    expected: { proxyJump: undefined },
  },
  {
    name: 'multiple patterns on one Host line',
    config: 'Host db1 db2 cache?\n  User data\n',
    alias: 'cache3',
    expected: { user: 'data' },
  },
  {
    name: 'quoted values and comments',
    config: '# comment\nHost "web 1" web1\n  IdentityFile "/keys/my key"   # trailing comment\n  User \'quoted\'\n',
    alias: 'web1',
    expected: { user: 'quoted', identityFiles: ['/keys/my key'] },
  },
  {
    name: 'Match blocks are skipped with a warning; Match all applies',
    config: 'Match host web1 exec "true"\n  User skipped\nMatch all\n  Port 2022\n',
    alias: 'web1',
    expected: { user: undefined, port: 2022 },
  },
  {
    name: '% tokens and ~ in IdentityFile and UserKnownHostsFile',
    config: 'Host web1\n  HostName 10.1.1.1\n  User ops\n  Port 2200\n  IdentityFile ~/.ssh/%h-%p-%r\n  IdentityFile %d/id_%u_%n_%%\n  UserKnownHostsFile ~/.ssh/known_%h /other\n',
    alias: 'web1',
    expected: {
      identityFiles: [join(home, '.ssh/10.1.1.1-2200-ops'), `${home}/id_me_web1_%`],
      userKnownHostsFile: join(home, '.ssh/known_10.1.1.1'),
    },
  },
  {
    name: '%r and %p use the values given on the command line (context) over the config',
    config: 'Host web1\n  User ops\n  IdentityFile /k/%r@%p\n',
    alias: 'web1',
    context: { user: 'root', port: 23 },
    expected: { user: 'ops', identityFiles: ['/k/root@23'] },
  },
  {
    name: 'HostName %h expands to the alias',
    config: 'Host *.corp\n  HostName %h.example.com\n',
    alias: 'web1.corp',
    expected: { hostName: 'web1.corp.example.com' },
  },
  {
    name: 'StrictHostKeyChecking, timeouts, IdentitiesOnly',
    config: 'Host *\n  StrictHostKeyChecking accept-new\n  ConnectTimeout 5\n  ServerAliveInterval 30\n  IdentitiesOnly yes\n',
    alias: 'x',
    expected: { strictHostKeyChecking: 'accept-new', connectTimeout: 5, serverAliveInterval: 30, identitiesOnly: true },
  },
  {
    name: 'StrictHostKeyChecking no; UserKnownHostsFile none',
    config: 'Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile none\n',
    alias: 'x',
    expected: { strictHostKeyChecking: 'no', userKnownHostsFile: '/dev/null' },
  },
  {
    name: 'bad Port is ignored with a warning',
    config: 'Host *\n  Port http\n',
    alias: 'x',
    expected: { port: undefined },
  },
];

describe('resolveSshConfig', () => {
  for (const c of cases) {
    test(c.name, () => {
      const r = resolveSshConfig({ text: c.config }, c.alias, { ...ctx, ...c.context });
      for (const [key, value] of Object.entries(c.expected)) {
        assert.deepEqual(r[key as keyof ResolvedSshConfig], value, key);
      }
    });
  }

  test('Match and bad values are reported as warnings', () => {
    const r = resolveSshConfig({ text: 'Port http\nMatch user x\n  User y\n' }, 'h', ctx);
    assert.equal(r.warnings.length, 2);
    assert.match(r.warnings[0] ?? '', /Match/);
    assert.match(r.warnings[1] ?? '', /invalid port/);
  });

  test('Include: relative to ~/.ssh, globs in sorted order, conditional inside Host, nested', () => {
    const ssh = join(home, '.ssh');
    mkdirSync(join(ssh, 'conf.d'), { recursive: true });
    writeFileSync(join(ssh, 'conf.d', '20-web.conf'), 'Host web1\n  User from20\n  Port 2020\n');
    writeFileSync(join(ssh, 'conf.d', '10-web.conf'), 'Host web1\n  User from10\n  Include nested.conf\n');
    writeFileSync(join(ssh, 'nested.conf'), 'IdentityFile /k/nested\n');
    writeFileSync(join(ssh, 'conf.d', '.hidden.conf'), 'Host *\n  User hidden\n');
    writeFileSync(join(ssh, 'db.conf'), 'User db-only\n');
    writeFileSync(join(ssh, 'config'), 'Include conf.d/*.conf\nHost db*\n  Include db.conf\nHost *\n  HostName fallback\n');

    const web = resolveSshConfig({ file: join(ssh, 'config') }, 'web1', ctx);
    assert.equal(web.user, 'from10');
    assert.equal(web.port, 2020);
    assert.deepEqual(web.identityFiles, ['/k/nested']);
    assert.equal(web.hostName, 'fallback');

    const db = resolveSshConfig({ file: join(ssh, 'config') }, 'db1', ctx);
    assert.equal(db.user, 'db-only');
    const other = resolveSshConfig({ file: join(ssh, 'config') }, 'other', ctx);
    assert.equal(other.user, undefined);
  });

  test('Include loops stop with a warning', () => {
    const file = join(home, 'loop.conf');
    writeFileSync(file, `Include ${file}\nUser u\n`);
    const r = resolveSshConfig({ file }, 'h', ctx);
    assert.equal(r.user, 'u');
    assert.ok(r.warnings.some((w) => /too deeply/.test(w)));
  });
});

describe('parseProxyJump', () => {
  const cases: [string, unknown][] = [
    ['bastion', [{ spec: 'bastion', host: 'bastion' }]],
    ['admin@bastion:2222', [{ spec: 'admin@bastion:2222', host: 'bastion', user: 'admin', port: 2222 }]],
    ['a,b@c:23', [{ spec: 'a', host: 'a' }, { spec: 'b@c:23', host: 'c', user: 'b', port: 23 }]],
    ['[2001:db8::1]:2200', [{ spec: '[2001:db8::1]:2200', host: '2001:db8::1', port: 2200 }]],
    ['ssh://u@h:22', [{ spec: 'ssh://u@h:22', host: 'h', user: 'u', port: 22 }]],
  ];
  for (const [spec, expected] of cases) {
    test(spec, () => assert.deepEqual(parseProxyJump(spec), expected));
  }
  test('invalid specs are errors', () => {
    assert.ok(parseProxyJump('a:b:c') instanceof Error);
    assert.ok(parseProxyJump('h:70000') instanceof Error);
    assert.ok(parseProxyJump('') instanceof Error);
  });
});
