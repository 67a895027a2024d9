/**
 * TLS channel bindings for NTLM over https (Extended Protection for Authentication): the
 * "tls-server-end-point" binding of RFC 5929, a hash of the server certificate. The hash is the
 * certificate's signature hash, except that MD5 and SHA-1 become SHA-256.
 */
import { createHash } from 'node:crypto';

/** Signature algorithm OIDs (DER content bytes) whose hash is not SHA-256. */
const HASH_BY_OID: readonly (readonly [string, string])[] = [
  ['2a864886f70d01010c', 'sha384'], // sha384WithRSAEncryption
  ['2a864886f70d01010d', 'sha512'], // sha512WithRSAEncryption
  ['2a8648ce3d040303', 'sha384'], // ecdsa-with-SHA384
  ['2a8648ce3d040304', 'sha512'], // ecdsa-with-SHA512
];

/** Reads one DER TLV header at `at`: where its content starts and how long it is. */
function tlv(der: Buffer, at: number): { start: number; length: number } {
  const first = der[at + 1];
  if (first === undefined) throw new Error('truncated certificate');
  if (first < 0x80) return { start: at + 2, length: first };
  const n = first & 0x7f;
  if (n === 0 || n > 4) throw new Error('unsupported DER length');
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (der[at + 2 + i] ?? 0);
  return { start: at + 2 + n, length };
}

/** The hash RFC 5929 prescribes for this certificate (DER). */
export function endPointHashAlgorithm(certDer: Buffer): string {
  const cert = tlv(der(certDer), 0);
  const tbs = tlv(certDer, cert.start);
  const algorithm = tlv(certDer, tbs.start + tbs.length);
  const oid = tlv(certDer, algorithm.start);
  const hex = certDer.subarray(oid.start, oid.start + oid.length).toString('hex');
  return HASH_BY_OID.find(([o]) => o === hex)?.[1] ?? 'sha256';
}

function der(b: Buffer): Buffer {
  if (b[0] !== 0x30) throw new Error('not a DER certificate');
  return b;
}

/** The channel binding application data for this server certificate. */
export function tlsServerEndPoint(certDer: Buffer): Buffer {
  return Buffer.concat([Buffer.from('tls-server-end-point:', 'ascii'), createHash(endPointHashAlgorithm(certDer)).update(certDer).digest()]);
}
