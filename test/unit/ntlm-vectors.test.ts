/**
 * Published NTLM test vectors reproduced exactly: MS-NLMP 4.2.4 (NTLMv2 with extended session
 * security and key exchange) and the sealing vector recorded in shared/reference/windows.md.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeAvPairs } from '../../src/transport/winrm/ntlm/av-pairs.ts';
import { NtlmClient } from '../../src/transport/winrm/ntlm/client.ts';
import {
  clientBlob,
  filetimeBytes,
  filetimeNow,
  keyExchangeKey,
  lmowfv2,
  lmv2Response,
  ntlmv2Response,
  ntowfv2,
  rc4k,
  sealKey,
  signKey,
} from '../../src/transport/winrm/ntlm/crypto.ts';
import { AvId } from '../../src/transport/winrm/ntlm/flags.ts';
import { md4 } from '../../src/transport/winrm/ntlm/md4.ts';
import { decodeAuthenticate, decodeChallenge, encodeChallenge } from '../../src/transport/winrm/ntlm/messages.ts';
import { Rc4 } from '../../src/transport/winrm/ntlm/rc4.ts';
import { NtlmSession } from '../../src/transport/winrm/ntlm/session.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// MS-NLMP 4.2.4: user "User", domain "Domain", password "Password", workstation "COMPUTER",
// random session key 0x55 x 16, time 0, client challenge 0xaa x 8, server challenge 0123456789abcdef.
const V = {
  serverChallenge: hex('0123456789abcdef'),
  clientChallenge: Buffer.alloc(8, 0xaa),
  randomSessionKey: Buffer.alloc(16, 0x55),
  time: Buffer.alloc(8),
  targetInfo: hex('02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000'),
  ntowfv2: '0c868a403bfd7a93a3001ef22ef02e3f',
  lmv2Response: '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa',
  ntProofStr: '68cd0ab851e51c96aabc927bebef6a1c',
  sessionBaseKey: '8de40ccadbc14a82f15cb0ad0de95ca3',
  encryptedSessionKey: 'c5dad2544fc9799094ce1ce90bc9d03e',
  clientSignKey: '4788dc861b4782f35d43fd98fe1a2d39',
  clientSealKey: '59f600973cc4960a25480a7c196e4c58',
  // 4.2.4.3 CHALLENGE_MESSAGE and AUTHENTICATE_MESSAGE.
  challenge: hex(`4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000
    060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c00530065007200760065007200
    00000000`),
  authenticate: hex(`4e544c4d535350000300000018001800 6c00000054005400840000000c000c00 48000000080008005400000010001000
    5c00000010001000d8000000358288e2 0501280a0000000f44006f006d006100 69006e00550073006500720043004f00
    4d005000550054004500520086c35097 ac9cec102554764a57cccc19aaaaaaaa aaaaaaaa68cd0ab851e51c96aabc927b
    ebef6a1c010100000000000000000000 00000000aaaaaaaaaaaaaaaa00000000 02000c0044006f006d00610069006e00
    01000c00530065007200760065007200 0000000000000000c5dad2544fc97990 94ce1ce90bc9d03e`),
  // 4.2.4.4 GSS_WrapEx of "Plaintext" (UTF-16LE) by the client.
  plaintext: Buffer.from('Plaintext', 'utf16le'),
  sealed: '54e50165bf1936dc996020c1811b0f06fb5f',
  signature: '010000007fb38ec5c55d497600000000',
};

describe('primitives', () => {
  test('RC4 matches the classic "Key"/"Plaintext" vector and keeps its stream across calls', () => {
    assert.equal(new Rc4(Buffer.from('Key')).update(Buffer.from('Plaintext')).toString('hex'), 'bbf316e8d940af0ad3');
    const split = new Rc4(Buffer.from('Key'));
    const joined = Buffer.concat([split.update(Buffer.from('Plain')), split.update(Buffer.from('text'))]);
    assert.equal(joined.toString('hex'), 'bbf316e8d940af0ad3');
    assert.equal(new Rc4(Buffer.from('Wiki')).update(Buffer.from('pedia')).toString('hex'), '1021bf0420');
  });

  test('FILETIME of the current time: 2003-06-17 10:00 UTC is 0090d336b734c301 (the Davenport NTLM example)', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_055_844_000_000 });
    assert.equal(filetimeBytes(filetimeNow()).toString('hex'), '0090d336b734c301');
  });

  test('MD4 matches RFC 1320', () => {
    assert.equal(md4(Buffer.alloc(0)).toString('hex'), '31d6cfe0d16ae931b73c59d7e0c089c0');
    assert.equal(md4(Buffer.from('abc')).toString('hex'), 'a448017aaf21d8525fc10ae87aa6729d');
    assert.equal(md4(Buffer.from('message digest')).toString('hex'), 'd9130a8164549fe818874806e1c7014b');
  });
});

describe('MS-NLMP 4.2.4 NTLMv2', () => {
  const blob = clientBlob(V.time, V.clientChallenge, V.targetInfo);
  const nt = ntlmv2Response(ntowfv2('Password', 'User', 'Domain'), V.serverChallenge, blob);

  test('NTOWFv2 and LMOWFv2 (4.2.4.1.1)', () => {
    assert.equal(ntowfv2('Password', 'User', 'Domain').toString('hex'), V.ntowfv2);
    assert.equal(lmowfv2('Password', 'User', 'Domain').toString('hex'), V.ntowfv2);
    assert.equal(ntowfv2('Password', 'user', 'Domain').toString('hex'), V.ntowfv2, 'the user name is case-insensitive');
    assert.notEqual(ntowfv2('Password', 'User', 'DOMAIN').toString('hex'), V.ntowfv2, 'the domain keeps its case');
  });

  test('LMv2 response, NTProofStr, NTLMv2 response and session base key (4.2.4.2)', () => {
    assert.equal(lmv2Response(ntowfv2('Password', 'User', 'Domain'), V.serverChallenge, V.clientChallenge).toString('hex'), V.lmv2Response);
    assert.equal(nt.ntProofStr.toString('hex'), V.ntProofStr);
    assert.equal(
      nt.ntChallengeResponse.toString('hex'),
      V.ntProofStr + '0101000000000000' + '0000000000000000' + 'aaaaaaaaaaaaaaaa' + '00000000' + V.targetInfo.toString('hex') + '00000000',
    );
    assert.equal(nt.sessionBaseKey.toString('hex'), V.sessionBaseKey);
  });

  test('key exchange: encrypted random session key (4.2.4.2.3)', () => {
    assert.equal(keyExchangeKey(nt.sessionBaseKey).toString('hex'), V.sessionBaseKey);
    assert.equal(rc4k(keyExchangeKey(nt.sessionBaseKey), V.randomSessionKey).toString('hex'), V.encryptedSessionKey);
    assert.equal(rc4k(nt.sessionBaseKey, hex(V.encryptedSessionKey)).toString('hex'), '55'.repeat(16), 'RC4K is its own inverse');
  });

  test('client sign and seal keys (4.2.4.4)', () => {
    assert.equal(signKey(V.randomSessionKey, 'client-to-server').toString('hex'), V.clientSignKey);
    assert.equal(sealKey(V.randomSessionKey, 'client-to-server').toString('hex'), V.clientSealKey);
    assert.notEqual(signKey(V.randomSessionKey, 'server-to-client').toString('hex'), V.clientSignKey);
    assert.notEqual(sealKey(V.randomSessionKey, 'server-to-client').toString('hex'), V.clientSealKey);
  });

  test('sealed "Plaintext" and its signature (4.2.4.4)', () => {
    const { signature, sealed } = NtlmSession.client(V.randomSessionKey).wrap(V.plaintext);
    assert.equal(sealed.toString('hex'), V.sealed);
    assert.equal(signature.toString('hex'), V.signature);
    assert.deepEqual(NtlmSession.server(V.randomSessionKey).unwrap(signature, sealed), V.plaintext);
  });

  test('the CHALLENGE message decodes to its fields and encodes back byte for byte (4.2.4.3)', () => {
    const ch = decodeChallenge(V.challenge);
    assert.equal(ch.flags, 0xe28a8233);
    assert.equal(ch.serverChallenge.toString('hex'), '0123456789abcdef');
    assert.equal(ch.targetName, 'Server');
    assert.deepEqual(
      ch.targetInfo.map((p) => [p.id, p.value.toString('utf16le')]),
      [
        [AvId.NB_DOMAIN_NAME, 'Domain'],
        [AvId.NB_COMPUTER_NAME, 'Server'],
      ],
    );
    assert.equal(ch.version?.toString('hex'), '060070170000000f');
    assert.deepEqual(encodeChallenge({ ...ch, targetInfoBytes: encodeAvPairs(ch.targetInfo) }), V.challenge);
  });

  test('NtlmClient produces the AUTHENTICATE message exactly, then seals like the vector (4.2.4.3, 4.2.4.4)', () => {
    const client = new NtlmClient({
      user: 'Domain\\User',
      password: 'Password',
      workstation: 'COMPUTER',
      randomBytes: (n) => (n === 8 ? V.clientChallenge : V.randomSessionKey),
      now: () => 0n,
      version: hex('0501280a0000000f'),
    });
    client.negotiate();
    const authenticate = client.authenticate(V.challenge);
    assert.equal(authenticate.toString('hex'), V.authenticate.toString('hex'));
    const decoded = decodeAuthenticate(authenticate);
    assert.equal(decoded.user, 'User');
    assert.equal(decoded.domain, 'Domain');
    assert.equal(decoded.workstation, 'COMPUTER');
    assert.equal(decoded.mic, undefined, 'no MsvAvTimestamp in this challenge, so no MIC');
    const { signature, sealed } = client.session().wrap(V.plaintext);
    assert.equal(sealed.toString('hex') + signature.toString('hex'), V.sealed + V.signature);
  });
});

describe('windows.md [V] sealing vector', () => {
  // Exported session key 0x55 x 16, client-to-server keys derived from it, plaintext <s:Envelope/>.
  test('messages 0 and 1 on one session', () => {
    const session = NtlmSession.client(Buffer.alloc(16, 0x55));
    const m0 = session.wrap(Buffer.from('<s:Envelope/>'));
    assert.equal(m0.signature.toString('hex'), '01000000b41d13116965b03d00000000');
    assert.equal(m0.sealed.toString('hex'), '38965720b06f3ab0981031eeda');
    const m1 = session.wrap(Buffer.from('<s:Envelope/>'));
    assert.equal(m1.signature.toString('hex'), '01000000944c2b64c702e53701000000');
    assert.equal(m1.sealed.toString('hex'), 'a844314f1142a6088f8fc770d9');
  });
});
