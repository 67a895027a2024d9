/**
 * WinRM message encryption over HTTP (MS-WSMV 2.2.9.1): the SOAP body is sealed with the NTLM
 * session and framed as a two-part multipart/encrypted body. Both directions use the same framing.
 * Parsing is byte-exact: anything but the documented shape is refused, never guessed at.
 */
import type { Wrapped } from './ntlm/sealing-channel.ts';

export const ENCRYPTED_CONTENT_TYPE =
  'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"';

/** What the framing needs from a security context (NtlmSession fits). */
export interface SealingSession {
  wrap(message: Buffer): Wrapped;
  unwrap(signature: Buffer, sealed: Buffer): Buffer;
}

/** A body that does not have the MS-WSMV 2.2.9.1 shape. */
export class EncryptedBodyError extends Error {
  override name = 'EncryptedBodyError';
}

const SIGNATURE_LENGTH = 16;
const HEAD = Buffer.from(
  '--Encrypted Boundary\r\n' +
    '\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n' +
    '\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=',
  'latin1',
);
const MIDDLE = Buffer.from('\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n', 'latin1');
const TAIL = Buffer.from('--Encrypted Boundary--\r\n', 'latin1');

export function encryptBody(session: SealingSession, soap: Buffer): Buffer {
  const { signature, sealed } = session.wrap(soap);
  if (signature.length !== SIGNATURE_LENGTH) throw new EncryptedBodyError(`signature must be ${SIGNATURE_LENGTH} bytes`);
  const signatureLength = Buffer.alloc(4);
  signatureLength.writeUInt32LE(SIGNATURE_LENGTH);
  return Buffer.concat([HEAD, Buffer.from(String(soap.length), 'latin1'), MIDDLE, signatureLength, signature, sealed, TAIL]);
}

/** Parses, verifies and decrypts; throws EncryptedBodyError on framing, NtlmIntegrityError on tampering. */
export function decryptBody(session: SealingSession, body: Buffer): Buffer {
  if (!body.subarray(0, HEAD.length).equals(HEAD)) {
    throw new EncryptedBodyError('encrypted body does not start with the MS-WSMV 2.2.9.1 header part');
  }
  let at = HEAD.length;
  const digitsStart = at;
  while (at < body.length && at - digitsStart < 10 && body[at]! >= 0x30 && body[at]! <= 0x39) at++;
  if (at === digitsStart) throw new EncryptedBodyError('encrypted body has no OriginalContent Length');
  const length = Number(body.subarray(digitsStart, at).toString('latin1'));
  if (!body.subarray(at, at + MIDDLE.length).equals(MIDDLE)) {
    throw new EncryptedBodyError('encrypted body lacks the application/octet-stream part after OriginalContent');
  }
  at += MIDDLE.length;
  if (at + 4 + SIGNATURE_LENGTH + TAIL.length > body.length) throw new EncryptedBodyError('encrypted body is truncated');
  const signatureLength = body.readUInt32LE(at);
  if (signatureLength !== SIGNATURE_LENGTH) {
    throw new EncryptedBodyError(`encrypted body has a ${signatureLength}-byte signature, expected ${SIGNATURE_LENGTH}`);
  }
  at += 4;
  const signature = body.subarray(at, at + SIGNATURE_LENGTH);
  at += SIGNATURE_LENGTH;
  const end = body.length - TAIL.length;
  if (!body.subarray(end).equals(TAIL)) throw new EncryptedBodyError('encrypted body does not end with the closing boundary');
  const sealed = body.subarray(at, end);
  if (sealed.length !== length) {
    throw new EncryptedBodyError(`encrypted body carries ${sealed.length} bytes but OriginalContent says Length=${length}`);
  }
  return session.unwrap(Buffer.from(signature), Buffer.from(sealed));
}
