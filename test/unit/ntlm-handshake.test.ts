/** Client and acceptor against each other: the handshake, then sealed traffic in both directions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NtlmClient, parseAccount } from '../../src/transport/winrm/ntlm/client.ts';
import { NtlmAuthError, NtlmIntegrityError, NtlmProtocolError } from '../../src/transport/winrm/ntlm/errors.ts';
import { NegotiateFlag } from '../../src/transport/winrm/ntlm/flags.ts';
import { decodeAuthenticate, decodeChallenge, MIC_OFFSET } from '../../src/transport/winrm/ntlm/messages.ts';
import type { NtlmSession } from '../../src/transport/winrm/ntlm/session.ts';
import { NtlmAcceptor } from '../winrm-server/ntlm-acceptor.ts';

const ACCOUNTS = new Map([
  ['vagrant', 'vagrant-pw'],
  ['CORP\\Alice', 'Alice pässwörd'],
  ['bob@corp.example', 'bob-pw'],
]);

/** XORs one byte in place (a bit flip in transit). */
function flip(buf: Buffer, at: number, mask: number): void {
  buf.writeUInt8(buf.readUInt8(at) ^ mask, at);
}

function handshake(user: string, password: string, acceptor = new NtlmAcceptor(ACCOUNTS)) {
  const client = new NtlmClient({ user, password, workstation: 'CONTROLLER' });
  const challenge = acceptor.challenge(client.negotiate());
  const authenticate = client.authenticate(challenge);
  return { client, acceptor, challenge, authenticate };
}

function pair(user: string, password: string): { client: NtlmSession; server: NtlmSession; name: string } {
  const h = handshake(user, password);
  const accepted = h.acceptor.accept(h.authenticate);
  return { client: h.client.session(), server: accepted.session, name: accepted.user };
}

describe('account names', () => {
  test('DOMAIN\\user splits; a UPN stays whole with an empty domain; an explicit domain wins', () => {
    assert.deepEqual(parseAccount('CORP\\alice'), { user: 'alice', domain: 'CORP' });
    assert.deepEqual(parseAccount('alice@corp.example'), { user: 'alice@corp.example', domain: '' });
    assert.deepEqual(parseAccount('alice'), { user: 'alice', domain: '' });
    assert.deepEqual(parseAccount('CORP\\alice', 'OTHER'), { user: 'alice', domain: 'OTHER' });
  });
});

describe('handshake', () => {
  test('right passwords are accepted for plain, DOMAIN\\user and UPN accounts', () => {
    assert.equal(pair('vagrant', 'vagrant-pw').name, 'vagrant');
    assert.equal(pair('corp\\ALICE', 'Alice pässwörd').name, 'CORP\\Alice');
    assert.equal(pair('bob@corp.example', 'bob-pw').name, 'bob@corp.example');
  });

  test('the AUTHENTICATE carries a MIC, zero LM response and the negotiated session security flags', () => {
    const { authenticate } = handshake('vagrant', 'vagrant-pw');
    const m = decodeAuthenticate(authenticate);
    assert.equal(m.mic?.length, 16);
    assert.deepEqual(m.lmChallengeResponse, Buffer.alloc(24));
    for (const f of ['SIGN', 'SEAL', 'KEY_EXCH', 'KEY_128', 'EXTENDED_SESSIONSECURITY', 'UNICODE'] as const) {
      assert.ok(m.flags & NegotiateFlag[f], f);
    }
  });

  test('a wrong password and an unknown user are refused with NtlmAuthError, naming no password', () => {
    for (const [user, password] of [
      ['vagrant', 'not-the-pw'],
      ['CORP\\Alice', 'alice pässwörd'],
      ['mallory', 'vagrant-pw'],
    ] as const) {
      const h = handshake(user, password);
      assert.throws(
        () => h.acceptor.accept(h.authenticate),
        (e: unknown) => e instanceof NtlmAuthError && /wrong password/.test(e.message) && !e.message.includes(password),
      );
    }
  });

  test('an AUTHENTICATE altered in transit fails the MIC', () => {
    const h = handshake('vagrant', 'vagrant-pw');
    const m = decodeAuthenticate(h.authenticate);
    // Flip a byte of the workstation name: outside the NTProofStr, only the MIC covers it.
    const at = h.authenticate.indexOf(Buffer.from('CONTROLLER', 'utf16le'));
    assert.ok(at > 0 && m.workstation === 'CONTROLLER');
    const altered = Buffer.from(h.authenticate);
    flip(altered, at, 1);
    assert.throws(() => h.acceptor.accept(altered), (e: unknown) => e instanceof NtlmAuthError && /MIC/.test(e.message));
  });

  test('a stripped MIC is refused', () => {
    const h = handshake('vagrant', 'vagrant-pw');
    const altered = Buffer.from(h.authenticate);
    altered.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
    assert.throws(() => h.acceptor.accept(altered), NtlmAuthError);
  });

  test('an AUTHENTICATE without SEAL or SIGN is refused', () => {
    for (const flag of [NegotiateFlag.SEAL, NegotiateFlag.SIGN]) {
      const h = handshake('vagrant', 'vagrant-pw');
      const altered = Buffer.from(h.authenticate);
      altered.writeUInt32LE((altered.readUInt32LE(60) & ~flag) >>> 0, 60);
      assert.throws(() => h.acceptor.accept(altered), (e: unknown) => e instanceof NtlmAuthError && /lacks required flags/.test(e.message));
    }
  });

  test('an AUTHENTICATE answers only its own challenge, once', () => {
    const h = handshake('vagrant', 'vagrant-pw');
    h.acceptor.accept(h.authenticate);
    assert.throws(() => h.acceptor.accept(h.authenticate), NtlmProtocolError);
    const other = new NtlmAcceptor(ACCOUNTS);
    other.challenge(new NtlmClient({ user: 'vagrant', password: 'vagrant-pw' }).negotiate());
    assert.throws(() => other.accept(h.authenticate), NtlmAuthError);
  });

  test('the client refuses a server that does not grant sealing', () => {
    const { challenge } = handshake('vagrant', 'vagrant-pw');
    const weak = Buffer.from(challenge);
    weak.writeUInt32LE((weak.readUInt32LE(20) & ~NegotiateFlag.SEAL) >>> 0, 20);
    const client = new NtlmClient({ user: 'vagrant', password: 'vagrant-pw' });
    client.negotiate();
    assert.throws(() => client.authenticate(weak), (e: unknown) => e instanceof NtlmProtocolError && /SEAL/.test(e.message));
    assert.throws(() => client.session(), NtlmProtocolError);
  });

  test('the client echoes the server timestamp and sets the MIC bit in MsvAvFlags', () => {
    const acceptor = new NtlmAcceptor(ACCOUNTS, { now: () => 133_444_555_666_777_888n });
    const { challenge, authenticate } = handshake('vagrant', 'vagrant-pw', acceptor);
    assert.equal(decodeChallenge(challenge).targetInfo.find((p) => p.id === 7)?.value.readBigUInt64LE(), 133_444_555_666_777_888n);
    const blob = decodeAuthenticate(authenticate).ntChallengeResponse.subarray(16);
    assert.equal(blob.readBigUInt64LE(8), 133_444_555_666_777_888n);
    acceptor.accept(authenticate);
  });
});

describe('channel bindings', () => {
  const cert = (b: number): Buffer => Buffer.concat([Buffer.from('tls-server-end-point:'), Buffer.alloc(32, b)]);

  test('a client bound to the same TLS channel is accepted; unbound or bound elsewhere is refused', () => {
    for (const [bindings, ok] of [
      [cert(1), true],
      [undefined, false],
      [cert(2), false],
    ] as const) {
      const acceptor = new NtlmAcceptor(ACCOUNTS, { channelBindings: cert(1) });
      const client = new NtlmClient({ user: 'vagrant', password: 'vagrant-pw', ...(bindings ? { channelBindings: bindings } : {}) });
      const authenticate = client.authenticate(acceptor.challenge(client.negotiate()));
      if (ok) assert.equal(acceptor.accept(authenticate).user, 'vagrant');
      else assert.throws(() => acceptor.accept(authenticate), NtlmAuthError);
    }
  });
});

describe('sealed traffic', () => {
  test('both directions round-trip with sequence numbers counting per direction', () => {
    const { client, server } = pair('vagrant', 'vagrant-pw');
    for (let i = 0; i < 3; i++) {
      const up = client.wrap(Buffer.from(`request ${i}`));
      assert.equal(up.signature.readUInt32LE(12), i);
      assert.notDeepEqual(up.sealed, Buffer.from(`request ${i}`));
      assert.equal(server.unwrap(up.signature, up.sealed).toString(), `request ${i}`);
      const down = server.wrap(Buffer.from(`reply ${i} ✓`));
      assert.equal(down.signature.readUInt32LE(12), i);
      assert.equal(client.unwrap(down.signature, down.sealed).toString(), `reply ${i} ✓`);
    }
    // Several messages one way before the other answers.
    const a = client.wrap(Buffer.from('a'));
    const b = client.wrap(Buffer.from('b'));
    assert.equal(server.unwrap(a.signature, a.sealed).toString() + server.unwrap(b.signature, b.sealed).toString(), 'ab');
  });

  test('a tampered message is rejected, and the session stays closed afterwards', () => {
    const { client, server } = pair('vagrant', 'vagrant-pw');
    const m = client.wrap(Buffer.from('<s:Envelope>delete everything</s:Envelope>'));
    const sealed = Buffer.from(m.sealed);
    flip(sealed, 5, 0x20);
    assert.throws(() => server.unwrap(m.signature, sealed), (e: unknown) => e instanceof NtlmIntegrityError && /checksum/.test(e.message));
    assert.throws(() => server.unwrap(m.signature, m.sealed), NtlmIntegrityError);
  });

  test('a tampered signature is rejected', () => {
    const { client, server } = pair('vagrant', 'vagrant-pw');
    const m = client.wrap(Buffer.from('x'));
    const signature = Buffer.from(m.signature);
    flip(signature, 4, 1);
    assert.throws(() => server.unwrap(signature, m.sealed), NtlmIntegrityError);
  });

  test('a replayed message is rejected', () => {
    const { client, server } = pair('vagrant', 'vagrant-pw');
    const m = client.wrap(Buffer.from('once'));
    assert.equal(server.unwrap(m.signature, m.sealed).toString(), 'once');
    assert.throws(() => server.unwrap(m.signature, m.sealed), (e: unknown) => e instanceof NtlmIntegrityError && /sequence number 0, expected 1/.test(e.message));
  });

  test('messages out of order are rejected', () => {
    const { client, server } = pair('vagrant', 'vagrant-pw');
    client.wrap(Buffer.from('first'));
    const second = client.wrap(Buffer.from('second'));
    assert.throws(() => server.unwrap(second.signature, second.sealed), NtlmIntegrityError);
  });

  test('a message sealed for the other direction or another session is rejected', () => {
    const { client } = pair('vagrant', 'vagrant-pw');
    const { server: otherServer } = pair('vagrant', 'vagrant-pw');
    const m = client.wrap(Buffer.from('hello'));
    assert.throws(() => otherServer.unwrap(m.signature, m.sealed), NtlmIntegrityError);
    const loop = pair('vagrant', 'vagrant-pw').client;
    const own = loop.wrap(Buffer.from('hello'));
    assert.throws(() => loop.unwrap(own.signature, own.sealed), NtlmIntegrityError);
  });
});
