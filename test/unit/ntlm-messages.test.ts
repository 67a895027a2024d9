/** Strict NTLMSSP decoding: malformed input throws a typed error and never reads out of range. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeAvPairs, encodeAvPairs } from '../../src/transport/winrm/ntlm/av-pairs.ts';
import { NtlmClient } from '../../src/transport/winrm/ntlm/client.ts';
import { NtlmError, NtlmProtocolError } from '../../src/transport/winrm/ntlm/errors.ts';
import {
  decodeAuthenticate,
  decodeChallenge,
  decodeNegotiate,
  encodeChallenge,
  encodeNegotiate,
} from '../../src/transport/winrm/ntlm/messages.ts';
import { AvId } from '../../src/transport/winrm/ntlm/flags.ts';
import { NtlmAcceptor } from '../winrm-server/ntlm-acceptor.ts';

const ACCOUNTS = new Map([['vagrant', 'vagrant-pw']]);

function exchange(): { negotiate: Buffer; challenge: Buffer; authenticate: Buffer } {
  const client = new NtlmClient({ user: 'CORP\\vagrant', password: 'vagrant-pw', workstation: 'WS' });
  const negotiate = client.negotiate();
  const challenge = new NtlmAcceptor(ACCOUNTS).challenge(negotiate);
  return { negotiate, challenge, authenticate: client.authenticate(challenge) };
}

/** Deterministic PRNG (mulberry32) so a failing mutation can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs fn; a thrown error must be an NtlmError (never a RangeError from reading past the end). */
function onlyTypedErrors(fn: () => unknown, label: string): 'ok' | 'refused' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof NtlmError, `${label}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    return 'refused';
  }
}

describe('decoders', () => {
  const m = exchange();

  test('valid messages decode', () => {
    assert.equal(decodeNegotiate(m.negotiate).version?.length, 8);
    assert.equal(decodeChallenge(m.challenge).serverChallenge.length, 8);
    const auth = decodeAuthenticate(m.authenticate);
    assert.deepEqual([auth.user, auth.domain, auth.workstation], ['vagrant', 'CORP', 'WS']);
  });

  test('every truncation of CHALLENGE and AUTHENTICATE is refused with NtlmProtocolError', () => {
    for (const [decode, msg] of [
      [decodeChallenge, m.challenge],
      [decodeAuthenticate, m.authenticate],
    ] as const) {
      for (let n = 0; n < msg.length; n++) {
        assert.throws(() => decode(msg.subarray(0, n)), NtlmProtocolError, `prefix of ${n} bytes`);
      }
    }
    for (let n = 0; n < 32; n++) assert.throws(() => decodeNegotiate(m.negotiate.subarray(0, n)), NtlmProtocolError);
  });

  test('wrong signature or message type is refused', () => {
    const bad = Buffer.from(m.challenge);
    bad.write('NTLMSSX', 0, 'latin1');
    assert.throws(() => decodeChallenge(bad), /NTLMSSP signature/);
    assert.throws(() => decodeChallenge(m.authenticate), /expected an NTLM CHALLENGE message \(type 2\), got type 3/);
    assert.throws(() => decodeAuthenticate(m.negotiate), NtlmProtocolError);
  });

  test('security buffers pointing outside the message or into its header are refused', () => {
    for (const offset of [0xffffffff, m.authenticate.length, 8]) {
      const bad = Buffer.from(m.authenticate);
      bad.writeUInt32LE(offset, 20 + 4); // NT response offset
      assert.throws(() => decodeAuthenticate(bad), /NT response .* lies outside/);
    }
    const long = Buffer.from(m.challenge);
    long.writeUInt16LE(0xffff, 40); // target info length
    assert.throws(() => decodeChallenge(long), NtlmProtocolError);
  });

  test('an odd-length UTF-16 string is refused', () => {
    const bad = Buffer.from(m.authenticate);
    bad.writeUInt16LE(3, 36); // user length
    assert.throws(() => decodeAuthenticate(bad), /odd length/);
  });

  test('AV pair lists need a terminating EOL and pairs that fit', () => {
    const good = encodeAvPairs([{ id: 2, value: Buffer.from('D', 'utf16le') }]);
    assert.equal(decodeAvPairs(good).length, 1);
    assert.throws(() => decodeAvPairs(good.subarray(0, good.length - 4)), /without MsvAvEOL/);
    const overrun = Buffer.from(good);
    overrun.writeUInt16LE(200, 2);
    assert.throws(() => decodeAvPairs(overrun), /runs past the end/);
    assert.throws(() => decodeAvPairs(Buffer.from('0000010000', 'hex')), /non-zero length/);
  });

  test('the client refuses a CHALLENGE whose MsvAvTimestamp is not 8 bytes', () => {
    const ch = decodeChallenge(m.challenge);
    const targetInfo = ch.targetInfo.map((p) => (p.id === AvId.TIMESTAMP ? { id: p.id, value: p.value.subarray(0, 4) } : p));
    const bad = encodeChallenge({ ...ch, targetInfo, targetInfoBytes: encodeAvPairs(targetInfo) });
    const client = new NtlmClient({ user: 'vagrant', password: 'vagrant-pw' });
    client.negotiate();
    assert.throws(() => client.authenticate(bad), /MsvAvTimestamp is not 8 bytes/);
  });

  test('NEGOTIATE encodes and decodes its fields', () => {
    const bytes = encodeNegotiate({ flags: 0x1234, domain: 'D', workstation: 'WS' });
    assert.deepEqual(decodeNegotiate(bytes), { flags: 0x1234, domain: 'D', workstation: 'WS' });
  });
});

describe('mutation fuzzing', () => {
  const m = exchange();
  const random = prng(0x4e544c4d);
  const mutate = (msg: Buffer): Buffer => {
    const out = Buffer.from(msg);
    const flips = 1 + Math.floor(random() * 4);
    for (let i = 0; i < flips; i++) out.writeUInt8(Math.floor(random() * 256), Math.floor(random() * out.length));
    return random() < 0.2 ? out.subarray(0, Math.floor(random() * out.length)) : out;
  };

  test('decoders, the client and the acceptor only ever throw NtlmError on mutated input', () => {
    const outcomes = { ok: 0, refused: 0 };
    for (let i = 0; i < 1500; i++) {
      const negotiate = mutate(m.negotiate);
      const challenge = mutate(m.challenge);
      const authenticate = mutate(m.authenticate);
      outcomes[onlyTypedErrors(() => decodeNegotiate(negotiate), `negotiate #${i}`)]++;
      outcomes[onlyTypedErrors(() => decodeChallenge(challenge), `challenge #${i}`)]++;
      outcomes[onlyTypedErrors(() => decodeAuthenticate(authenticate), `authenticate #${i}`)]++;
      const client = new NtlmClient({ user: 'vagrant', password: 'vagrant-pw' });
      client.negotiate();
      outcomes[onlyTypedErrors(() => client.authenticate(challenge), `client #${i}`)]++;
      outcomes[onlyTypedErrors(() => new NtlmAcceptor(ACCOUNTS).challenge(negotiate), `acceptor challenge #${i}`)]++;
    }
    // The acceptor must accept nothing but the genuine AUTHENTICATE for its own challenge.
    const client = new NtlmClient({ user: 'vagrant', password: 'vagrant-pw' });
    const acceptor = new NtlmAcceptor(ACCOUNTS, { randomBytes: (n) => Buffer.alloc(n, 1), now: () => 1n });
    const negotiate = client.negotiate();
    const challenge = acceptor.challenge(negotiate);
    const authenticate = client.authenticate(challenge);
    let accepted = 0;
    for (let i = 0; i < 500; i++) {
      const mutated = mutate(authenticate);
      if (mutated.equals(authenticate)) continue;
      const fresh = new NtlmAcceptor(ACCOUNTS, { randomBytes: (n) => Buffer.alloc(n, 1), now: () => 1n });
      fresh.challenge(negotiate);
      if (onlyTypedErrors(() => fresh.accept(mutated), `accept #${i}`) === 'ok') accepted++;
    }
    assert.equal(accepted, 0, 'a mutated AUTHENTICATE was accepted');
    assert.ok(outcomes.refused > 0 && outcomes.ok > 0, JSON.stringify(outcomes));
  });
});
