/**
 * One direction of NTLMv2 session security (MS-NLMP 3.4.4.2, 3.4.6): a sign key, one RC4
 * keystream that runs on across all messages, and a sequence number. The message is sealed first
 * and the checksum is then encrypted with the same keystream, so the two peers' RC4 states stay in
 * step only if every message is processed exactly once and in order.
 */
import { timingSafeEqual } from 'node:crypto';
import { hmacMd5 } from './crypto.ts';
import { NtlmIntegrityError } from './errors.ts';
import { Rc4 } from './rc4.ts';

export const SIGNATURE_LENGTH = 16;

export interface Wrapped {
  /** NTLMSSP_MESSAGE_SIGNATURE: version 1, encrypted checksum, sequence number. */
  readonly signature: Buffer;
  readonly sealed: Buffer;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export class SealingChannel {
  private readonly rc4: Rc4;
  private seq = 0;
  private broken = false;

  constructor(
    private readonly signKey: Buffer,
    sealKey: Buffer,
  ) {
    this.rc4 = new Rc4(sealKey);
  }

  /** Sequence number the next message will carry (or is expected to carry). */
  get sequence(): number {
    return this.seq;
  }

  seal(message: Buffer): Wrapped {
    const seq = u32(this.seq);
    const sealed = this.rc4.update(message);
    const checksum = this.rc4.update(hmacMd5(this.signKey, seq, message).subarray(0, 8));
    this.seq = (this.seq + 1) >>> 0;
    return { signature: Buffer.concat([u32(1), checksum, seq]), sealed };
  }

  /**
   * Decrypts and verifies. A failure consumes keystream the peer never used, so the channel cannot
   * recover: it refuses every later message too, and the caller must authenticate again.
   */
  open(signature: Buffer, sealed: Buffer): Buffer {
    if (this.broken) throw new NtlmIntegrityError('NTLM session is unusable after an earlier integrity failure; authenticate again');
    if (signature.length !== SIGNATURE_LENGTH) {
      this.broken = true;
      throw new NtlmIntegrityError(`NTLM signature must be ${SIGNATURE_LENGTH} bytes, got ${signature.length}`);
    }
    const seq = u32(this.seq);
    const message = this.rc4.update(sealed);
    const checksum = this.rc4.update(hmacMd5(this.signKey, seq, message).subarray(0, 8));
    const expected = Buffer.concat([u32(1), checksum, seq]);
    if (!timingSafeEqual(expected, signature)) {
      this.broken = true;
      const got = signature.readUInt32LE(12);
      const why = got === this.seq ? 'checksum does not match (message altered)' : `sequence number ${got}, expected ${this.seq}`;
      throw new NtlmIntegrityError(`NTLM sealed message rejected: ${why}`);
    }
    this.seq = (this.seq + 1) >>> 0;
    return message;
  }
}
