/** MS-WSMV 2.2.9.1 encrypted bodies: exact bytes, round trips both ways, strict parsing. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decryptBody, encryptBody, ENCRYPTED_CONTENT_TYPE, EncryptedBodyError } from '../../src/transport/winrm/encryption.ts';
import { NtlmIntegrityError } from '../../src/transport/winrm/ntlm/errors.ts';
import { NtlmSession } from '../../src/transport/winrm/ntlm/session.ts';

const KEY = Buffer.alloc(16, 0x55);
const ENVELOPE = Buffer.from('<s:Envelope/>');

function body(length: string, signatureLength: string, signature: string, sealed: string): Buffer {
  return Buffer.concat([
    Buffer.from(
      '--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n' +
        `\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=${length}\r\n` +
        '--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n',
      'latin1',
    ),
    Buffer.from(signatureLength + signature + sealed, 'hex'),
    Buffer.from('--Encrypted Boundary--\r\n', 'latin1'),
  ]);
}

/** The first client message of the windows.md [V] vector, framed. */
const VECTOR_BODY = body('13', '10000000', '01000000b41d13116965b03d00000000', '38965720b06f3ab0981031eeda');

describe('encrypted body framing', () => {
  test('the request Content-Type is the documented one', () => {
    assert.equal(
      ENCRYPTED_CONTENT_TYPE,
      'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"',
    );
  });

  test('encryptBody produces the documented bytes for the [V] vector message', () => {
    assert.deepEqual(encryptBody(NtlmSession.client(KEY), ENVELOPE), VECTOR_BODY);
  });

  test('decryptBody on the server side recovers it', () => {
    assert.deepEqual(decryptBody(NtlmSession.server(KEY), VECTOR_BODY), ENVELOPE);
  });

  test('round trips both ways; Length counts plaintext bytes, not characters', () => {
    const client = NtlmSession.client(KEY);
    const server = NtlmSession.server(KEY);
    for (let i = 0; i < 3; i++) {
      const soap = Buffer.from(`<s:Envelope>${'日本語 ü '.repeat(1000 * (i + 1))}</s:Envelope>`);
      const request = encryptBody(client, soap);
      assert.ok(request.includes(Buffer.from(`;Length=${soap.length}\r\n`)));
      assert.ok(!request.includes(Buffer.from('日本語')), 'the body is sealed');
      assert.deepEqual(decryptBody(server, request), soap);
      const reply = encryptBody(server, Buffer.from(`reply ${i}`));
      assert.equal(decryptBody(client, reply).toString(), `reply ${i}`);
    }
    assert.deepEqual(decryptBody(server, encryptBody(client, Buffer.alloc(0))), Buffer.alloc(0));
  });

  test('a Length that disagrees with the sealed bytes is refused', () => {
    const bad = body('14', '10000000', '01000000b41d13116965b03d00000000', '38965720b06f3ab0981031eeda');
    assert.throws(() => decryptBody(NtlmSession.server(KEY), bad), /carries 13 bytes but OriginalContent says Length=14/);
  });

  test('a signature length other than 16 is refused', () => {
    const bad = body('13', '0f000000', '01000000b41d13116965b03d00000000', '38965720b06f3ab0981031eeda');
    assert.throws(() => decryptBody(NtlmSession.server(KEY), bad), /15-byte signature/);
  });

  test('other shapes are refused with EncryptedBodyError', () => {
    const variants: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from('<s:Envelope/>'),
      VECTOR_BODY.subarray(0, VECTOR_BODY.length - 1),
      Buffer.concat([VECTOR_BODY, Buffer.from('x')]),
      Buffer.from(VECTOR_BODY.toString('latin1').replace('application/octet-stream', 'application/soap+xml'), 'latin1'),
      Buffer.from(VECTOR_BODY.toString('latin1').replace('HTTP-SPNEGO-session-encrypted', 'HTTP-Kerberos-session-encrypted'), 'latin1'),
      Buffer.from(VECTOR_BODY.toString('latin1').replace('Length=13', 'Length='), 'latin1'),
      Buffer.from(VECTOR_BODY.toString('latin1').replace('Length=13', 'Length=-13'), 'latin1'),
      Buffer.from(VECTOR_BODY.toString('latin1').replace('--Encrypted Boundary--\r\n', '--Encrypted Boundary\r\n'), 'latin1'),
    ];
    for (const [i, v] of variants.entries()) {
      assert.throws(() => decryptBody(NtlmSession.server(KEY), v), EncryptedBodyError, `variant ${i}`);
    }
    for (let n = 0; n < VECTOR_BODY.length; n++) {
      assert.throws(() => decryptBody(NtlmSession.server(KEY), VECTOR_BODY.subarray(0, n)), EncryptedBodyError, `prefix ${n}`);
    }
  });

  test('a tampered sealed byte fails the integrity check', () => {
    const bad = Buffer.from(VECTOR_BODY);
    const at = bad.indexOf(Buffer.from('38965720', 'hex'));
    bad.writeUInt8(bad.readUInt8(at) ^ 1, at);
    assert.throws(() => decryptBody(NtlmSession.server(KEY), bad), NtlmIntegrityError);
  });
});
