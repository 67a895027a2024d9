/**
 * NTLMv2 key derivation and responses (MS-NLMP 3.3.2, 3.4.5). Only the NTLMv2 path with extended
 * session security and key exchange is implemented: WinRM sealing needs nothing else, and the
 * older LM/NTLMv1 variants are exactly what a hardened Windows host refuses.
 */
import { createHash, createHmac } from 'node:crypto';
import { md4 } from './md4.ts';
import { Rc4 } from './rc4.ts';

export function hmacMd5(key: Uint8Array, ...data: Uint8Array[]): Buffer {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return h.digest();
}

function utf16(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}

/** NTOWFv2 = HMAC_MD5(MD4(UNICODE(password)), UNICODE(UPPER(user) + domain)). The domain keeps its case. */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return hmacMd5(md4(utf16(password)), utf16(user.toUpperCase() + domain));
}

/** In NTLMv2, LMOWFv2 is defined to equal NTOWFv2. */
export const lmowfv2 = ntowfv2;

/** FILETIME (100 ns ticks since 1601-01-01 UTC) as the 8 little-endian bytes the protocol carries. */
export function filetimeBytes(filetime: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(filetime);
  return b;
}

/** The current time as a FILETIME. */
export function filetimeNow(): bigint {
  return (BigInt(Date.now()) + 11_644_473_600_000n) * 10_000n;
}

/**
 * The NTLMv2_CLIENT_CHALLENGE ("temp" in MS-NLMP 3.3.2): RespType 1, HiRespType 1, reserved,
 * timestamp, client challenge, reserved, the AV pairs (ending in EOL), then 4 reserved zero bytes.
 */
export function clientBlob(timestamp: Buffer, clientChallenge: Buffer, avPairs: Buffer): Buffer {
  if (timestamp.length !== 8 || clientChallenge.length !== 8) {
    throw new RangeError('timestamp and client challenge must be 8 bytes each');
  }
  return Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    timestamp,
    clientChallenge,
    Buffer.alloc(4),
    avPairs,
    Buffer.alloc(4),
  ]);
}

/** Offset of the AV pairs inside the client blob. */
export const CLIENT_BLOB_AV_OFFSET = 28;

export interface Ntlmv2Response {
  readonly ntProofStr: Buffer;
  /** NtChallengeResponse = NTProofStr || temp. */
  readonly ntChallengeResponse: Buffer;
  readonly sessionBaseKey: Buffer;
}

export function ntlmv2Response(responseKeyNt: Buffer, serverChallenge: Buffer, blob: Buffer): Ntlmv2Response {
  const ntProofStr = hmacMd5(responseKeyNt, serverChallenge, blob);
  return {
    ntProofStr,
    ntChallengeResponse: Buffer.concat([ntProofStr, blob]),
    sessionBaseKey: hmacMd5(responseKeyNt, ntProofStr),
  };
}

/** LMv2 response = HMAC_MD5(ResponseKeyLM, server || client challenge) || client challenge. */
export function lmv2Response(responseKeyLm: Buffer, serverChallenge: Buffer, clientChallenge: Buffer): Buffer {
  return Buffer.concat([hmacMd5(responseKeyLm, serverChallenge, clientChallenge), clientChallenge]);
}

/** KXKEY for NTLMv2 is the session base key itself (MS-NLMP 3.4.5.1). */
export function keyExchangeKey(sessionBaseKey: Buffer): Buffer {
  return sessionBaseKey;
}

/** RC4K: one-shot RC4 with a fresh key, used to carry the exported session key. */
export function rc4k(key: Buffer, data: Buffer): Buffer {
  return new Rc4(key).update(data);
}

export type Direction = 'client-to-server' | 'server-to-client';

function md5(...parts: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

function magic(direction: Direction, use: 'signing' | 'sealing'): Buffer {
  return Buffer.from(`session key to ${direction} ${use} key magic constant\0`, 'latin1');
}

/** SIGNKEY with extended session security (MS-NLMP 3.4.5.2). */
export function signKey(exportedSessionKey: Buffer, direction: Direction): Buffer {
  return md5(exportedSessionKey, magic(direction, 'signing'));
}

/** SEALKEY with extended session security and NEGOTIATE_128: the whole 16-byte key (MS-NLMP 3.4.5.3). */
export function sealKey(exportedSessionKey: Buffer, direction: Direction): Buffer {
  return md5(exportedSessionKey, magic(direction, 'sealing'));
}

/**
 * MsvAvChannelBindings value: MD5 of a gss_channel_bindings_struct with no addresses and the given
 * application data (for TLS, "tls-server-end-point:" followed by the server certificate's hash).
 */
export function channelBindingsHash(applicationData: Buffer): Buffer {
  const head = Buffer.alloc(20);
  head.writeUInt32LE(applicationData.length, 16);
  return md5(head, applicationData);
}

/** MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE with a zeroed MIC). */
export function computeMic(exportedSessionKey: Buffer, negotiate: Buffer, challenge: Buffer, authenticate: Buffer): Buffer {
  return hmacMd5(exportedSessionKey, negotiate, challenge, authenticate);
}
