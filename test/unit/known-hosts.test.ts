import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import ssh2 from 'ssh2';
import { checkHostKey, hostKeyFingerprint, hostKeyType, knownHostKeyTypes, knownHostsLine } from '../../src/transport/known-hosts.ts';

const dir = mkdtempSync(join(tmpdir(), 'known-hosts-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh key as "type base64" (known_hosts fields) and as the wire blob ssh2 hands the verifier. */
function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519'): { line: string; blob: Buffer; pub: string } {
  const pair = type === 'ecdsa' ? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }) : ssh2.utils.generateKeyPairSync('ed25519');
  const [keyType, base64] = pair.public.trim().split(' ') as [string, string];
  return { line: `${keyType} ${base64}`, blob: Buffer.from(base64, 'base64'), pub: pair.public };
}

const key = newKey();
const other = newKey();
const ecdsa = newKey('ecdsa');
const hasSshKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined;

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('checkHostKey', () => {
  const cases: { name: string; file: string; host: string; port: number; status: string; line?: number }[] = [
    { name: 'plain host', file: `web1 ${key.line}`, host: 'web1', port: 22, status: 'match', line: 1 },
    { name: 'host names are case-insensitive', file: `Web1 ${key.line}`, host: 'WEB1', port: 22, status: 'match' },
    { name: 'comma list', file: `# c\n\nweb1,10.0.0.5 ${key.line} comment`, host: '10.0.0.5', port: 22, status: 'match', line: 3 },
    { name: 'unknown host', file: `web1 ${key.line}`, host: 'web2', port: 22, status: 'unknown' },
    { name: 'non-22 port needs the bracket form', file: `web1 ${key.line}`, host: 'web1', port: 2222, status: 'unknown' },
    { name: 'bracketed port', file: `[web1]:2222 ${key.line}`, host: 'web1', port: 2222, status: 'match' },
    { name: 'bracketed port is not port 22', file: `[web1]:2222 ${key.line}`, host: 'web1', port: 22, status: 'unknown' },
    { name: 'wildcard', file: `*.example.com ${key.line}`, host: 'a.example.com', port: 22, status: 'match' },
    { name: 'negation vetoes a wildcard', file: `*.example.com,!evil.example.com ${key.line}`, host: 'evil.example.com', port: 22, status: 'unknown' },
    { name: 'changed key of the same type', file: `web1 ${other.line}`, host: 'web1', port: 22, status: 'mismatch', line: 1 },
    { name: 'a matching line wins over another stale one', file: `web1 ${other.line}\nweb1 ${key.line}`, host: 'web1', port: 22, status: 'match', line: 2 },
    { name: 'only a key of another type is known: unknown, not mismatch', file: `web1 ${ecdsa.line}`, host: 'web1', port: 22, status: 'unknown' },
    { name: 'hashed entry', file: `${hashed('web1')} ${key.line}`, host: 'web1', port: 22, status: 'match' },
    { name: 'hashed entry with port', file: `${hashed('[10.0.0.5]:2200')} ${key.line}`, host: '10.0.0.5', port: 2200, status: 'match' },
    { name: 'hashed entry for another host', file: `${hashed('web2')} ${key.line}`, host: 'web1', port: 22, status: 'unknown' },
    { name: 'hashed entry, changed key', file: `${hashed('web1')} ${other.line}`, host: 'web1', port: 22, status: 'mismatch' },
    { name: 'revoked key', file: `web1 ${key.line}\n@revoked * ${key.line}`, host: 'web1', port: 22, status: 'revoked', line: 2 },
    { name: 'revocation of another key does not matter', file: `web1 ${key.line}\n@revoked * ${other.line}`, host: 'web1', port: 22, status: 'match' },
    { name: '@cert-authority lines are ignored', file: `@cert-authority *.example.com ${key.line}`, host: 'a.example.com', port: 22, status: 'unknown' },
    { name: 'corrupt lines are skipped', file: `web1 ssh-rsa ${key.line.split(' ')[1]}\nweb1\n`, host: 'web1', port: 22, status: 'unknown' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = checkHostKey(c.file, c.host, c.port, key.blob);
      assert.equal(r.status, c.status);
      if (c.line !== undefined) assert.equal(r.line, c.line);
    });
  }

  test('knownHostsLine round-trips and knownHostKeyTypes lists recorded types', () => {
    const file = `${knownHostsLine('Web1', 2222, key.blob)}\n[web1]:2222 ${ecdsa.line}\n`;
    assert.equal(checkHostKey(file, 'web1', 2222, key.blob).status, 'match');
    assert.deepEqual(knownHostKeyTypes(file, 'web1', 2222), ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    assert.equal(hostKeyType(key.blob), 'ssh-ed25519');
  });

  test('an entry hashed by ssh-keygen -H matches', () => {
    assert.ok(hasSshKeygen, 'ssh-keygen is not installed (apt-get install openssh-client)');
    const file = join(dir, 'hashed_known_hosts');
    writeFileSync(file, `[db.example.com]:2200 ${key.line}\nweb1 ${key.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('db.example.com'), 'ssh-keygen hashed the names');
    assert.equal(checkHostKey(text, 'db.example.com', 2200, key.blob).status, 'match');
    assert.equal(checkHostKey(text, 'web1', 22, key.blob).status, 'match');
    assert.equal(checkHostKey(text, 'web1', 22, other.blob).status, 'mismatch');
    assert.equal(checkHostKey(text, 'db.example.com', 22, key.blob).status, 'unknown');
  });
});

describe('hostKeyFingerprint', () => {
  test('has the SHA256:base64-without-padding shape', () => {
    assert.match(hostKeyFingerprint(key.blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  test('equals ssh-keygen -lf', () => {
    assert.ok(hasSshKeygen, 'ssh-keygen is not installed (apt-get install openssh-client)');
    for (const k of [key, ecdsa]) {
      const file = join(dir, 'key.pub');
      writeFileSync(file, k.pub);
      const out = execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' });
      assert.equal(hostKeyFingerprint(k.blob), out.split(' ')[1]);
    }
  });
});
