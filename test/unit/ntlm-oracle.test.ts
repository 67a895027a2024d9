/**
 * Cross-check against an independent NTLM implementation: Debian's python3-ntlm-auth (the library
 * pywinrm uses), driven by test/oracles/ntlm-auth-oracle.py. Its MD4 needs OpenSSL's legacy
 * provider, enabled for that process only through test/oracles/openssl-legacy.cnf.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { NtlmClient } from '../../src/transport/winrm/ntlm/client.ts';
import { NtlmAuthError } from '../../src/transport/winrm/ntlm/errors.ts';
import { decodeAuthenticate } from '../../src/transport/winrm/ntlm/messages.ts';
import { NtlmAcceptor } from '../winrm-server/ntlm-acceptor.ts';

const PYTHON = '/usr/bin/python3';
const ORACLE = fileURLToPath(new URL('../oracles/ntlm-auth-oracle.py', import.meta.url));
const OPENSSL_CONF = fileURLToPath(new URL('../oracles/openssl-legacy.cnf', import.meta.url));

interface OracleRequest {
  user: string;
  password: string;
  domain: string;
  client_challenge: string;
  session_key: string;
  channel_bindings?: string;
  challenge?: string;
  to_send?: string[];
  received?: string[];
}
interface OracleReply {
  negotiate: string;
  authenticate?: string;
  wrapped?: string[];
  unwrapped?: string[];
}

function oracle(request: OracleRequest): OracleReply {
  const out = execFileSync(PYTHON, [ORACLE], {
    input: JSON.stringify(request),
    env: { ...process.env, OPENSSL_CONF },
  });
  return JSON.parse(out.toString('utf8')) as OracleReply;
}

const hex = (b: Buffer): string => b.toString('hex');
const BASE = {
  user: 'alice',
  password: 'Pässw0rd!',
  domain: 'CORP',
  client_challenge: '0102030405060708',
  session_key: '00112233445566778899aabbccddeeff',
};
const MESSAGES = ['<s:Envelope>one</s:Envelope>', '<s:Envelope>two ✓</s:Envelope>', 'three'].map((s) => hex(Buffer.from(s)));
const ACCOUNTS = new Map([['CORP\\alice', 'Pässw0rd!']]);
const acceptorOptions = { randomBytes: (n: number) => Buffer.alloc(n, 0x42), now: () => 133_500_000_000_000_000n };

before(() => {
  const probe = spawnSync(PYTHON, ['-c', 'import ntlm_auth.ntlm, hashlib; hashlib.new("md4")'], {
    env: { ...process.env, OPENSSL_CONF },
  });
  assert.equal(
    probe.status,
    0,
    `the NTLM oracle needs Debian's python3-ntlm-auth under ${PYTHON} (apt-get install python3-ntlm-auth) ` +
      `and OpenSSL's legacy provider (libssl3): ${probe.stderr?.toString() ?? probe.error?.message}`,
  );
});

describe('python3-ntlm-auth as the client, our acceptor as the server', () => {
  test('its AUTHENTICATE (OEM NEGOTIATE, MIC) is accepted and sealed traffic flows both ways', () => {
    const acceptor = new NtlmAcceptor(ACCOUNTS, acceptorOptions);
    const challenge = acceptor.challenge(Buffer.from(oracle(BASE).negotiate, 'hex'));
    const first = oracle({ ...BASE, challenge: hex(challenge), to_send: MESSAGES });
    const { user, session } = acceptor.accept(Buffer.from(first.authenticate ?? '', 'hex'));
    assert.equal(user, 'CORP\\alice');
    const received = (first.wrapped ?? []).map((w) => {
      const b = Buffer.from(w, 'hex');
      return hex(session.unwrap(b.subarray(0, 16), b.subarray(16)));
    });
    assert.deepEqual(received, MESSAGES);
    const replies = ['reply 1', 'réponse 2'].map((s) => session.wrap(Buffer.from(s)));
    // The oracle replays the same exchange (fixed randoms), then unwraps our replies in order.
    const second = oracle({
      ...BASE,
      challenge: hex(challenge),
      to_send: MESSAGES,
      received: replies.map((r) => hex(Buffer.concat([r.signature, r.sealed]))),
    });
    assert.deepEqual(second.authenticate, first.authenticate);
    assert.deepEqual(
      (second.unwrapped ?? []).map((u) => Buffer.from(u, 'hex').toString()),
      ['reply 1', 'réponse 2'],
    );
  });

  test('its AUTHENTICATE with a wrong password is refused', () => {
    const acceptor = new NtlmAcceptor(ACCOUNTS, acceptorOptions);
    const wrong = { ...BASE, password: 'not-it' };
    const challenge = acceptor.challenge(Buffer.from(oracle(wrong).negotiate, 'hex'));
    const reply = oracle({ ...wrong, challenge: hex(challenge) });
    assert.throws(() => acceptor.accept(Buffer.from(reply.authenticate ?? '', 'hex')), NtlmAuthError);
  });
});

describe('our client and python3-ntlm-auth answer the same challenge identically', () => {
  test('same NTLMv2 response, session key exchange and sealed messages for the same random inputs', () => {
    const client = new NtlmClient({
      user: 'CORP\\alice',
      password: BASE.password,
      randomBytes: (n) => Buffer.from(n === 8 ? BASE.client_challenge : BASE.session_key, 'hex'),
    });
    const challenge = new NtlmAcceptor(ACCOUNTS, acceptorOptions).challenge(client.negotiate());
    const ours = decodeAuthenticate(client.authenticate(challenge));
    const reply = oracle({ ...BASE, challenge: hex(challenge), to_send: MESSAGES });
    const theirs = decodeAuthenticate(Buffer.from(reply.authenticate ?? '', 'hex'));
    assert.equal(hex(ours.ntChallengeResponse), hex(theirs.ntChallengeResponse));
    assert.equal(hex(ours.lmChallengeResponse), hex(theirs.lmChallengeResponse));
    assert.equal(hex(ours.encryptedRandomSessionKey), hex(theirs.encryptedRandomSessionKey));
    assert.deepEqual([ours.user, ours.domain], [theirs.user, theirs.domain]);
    const sealed = MESSAGES.map((m) => {
      const w = client.session().wrap(Buffer.from(m, 'hex'));
      return hex(Buffer.concat([w.signature, w.sealed]));
    });
    assert.deepEqual(sealed, reply.wrapped);
  });
});

describe('channel bindings (NTLM over TLS with Extended Protection)', () => {
  const bindings = Buffer.concat([Buffer.from('tls-server-end-point:'), Buffer.alloc(32, 0xc3)]);

  test('our client and the oracle bind identically', () => {
    const client = new NtlmClient({
      user: 'CORP\\alice',
      password: BASE.password,
      channelBindings: bindings,
      randomBytes: (n) => Buffer.from(n === 8 ? BASE.client_challenge : BASE.session_key, 'hex'),
    });
    const challenge = new NtlmAcceptor(ACCOUNTS, acceptorOptions).challenge(client.negotiate());
    const ours = decodeAuthenticate(client.authenticate(challenge));
    const reply = oracle({ ...BASE, channel_bindings: hex(bindings), challenge: hex(challenge) });
    assert.equal(hex(ours.ntChallengeResponse), hex(decodeAuthenticate(Buffer.from(reply.authenticate ?? '', 'hex')).ntChallengeResponse));
  });

  test('an acceptor that requires the binding accepts the bound oracle and refuses an unbound one', () => {
    for (const [request, ok] of [
      [{ ...BASE, channel_bindings: hex(bindings) }, true],
      [BASE, false],
    ] as const) {
      const acceptor = new NtlmAcceptor(ACCOUNTS, { ...acceptorOptions, channelBindings: bindings });
      const challenge = acceptor.challenge(Buffer.from(oracle(request).negotiate, 'hex'));
      const authenticate = Buffer.from(oracle({ ...request, challenge: hex(challenge) }).authenticate ?? '', 'hex');
      if (ok) assert.equal(acceptor.accept(authenticate).user, 'CORP\\alice');
      else assert.throws(() => acceptor.accept(authenticate), /not bound to this TLS channel/);
    }
  });
});
