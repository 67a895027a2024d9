/** AV_PAIR lists (MS-NLMP 2.2.2.1): the target info of CHALLENGE and of the NTLMv2 client blob. */
import { AvId } from './flags.ts';
import { NtlmProtocolError } from './errors.ts';

export interface AvPair {
  readonly id: number;
  readonly value: Buffer;
}

/** Encodes pairs and the terminating MsvAvEOL (any EOL in the input is dropped). */
export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of pairs) {
    if (p.id === AvId.EOL) continue;
    if (p.value.length > 0xffff) throw new NtlmProtocolError(`AV pair ${p.id} is longer than 65535 bytes`);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(p.id, 0);
    head.writeUInt16LE(p.value.length, 2);
    parts.push(head, p.value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/**
 * Decodes pairs up to MsvAvEOL. Bytes after EOL are ignored (the client blob has 4 reserved zero
 * bytes there); a list without EOL or with a pair running past the end is malformed.
 */
export function decodeAvPairs(data: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  let at = 0;
  for (;;) {
    if (at + 4 > data.length) throw new NtlmProtocolError('target info ends without MsvAvEOL');
    const id = data.readUInt16LE(at);
    const len = data.readUInt16LE(at + 2);
    at += 4;
    if (id === AvId.EOL) {
      if (len !== 0) throw new NtlmProtocolError('MsvAvEOL has a non-zero length');
      return pairs;
    }
    if (at + len > data.length) throw new NtlmProtocolError(`AV pair ${id} runs past the end of target info`);
    pairs.push({ id, value: Buffer.from(data.subarray(at, at + len)) });
    at += len;
  }
}

export function findAvPair(pairs: readonly AvPair[], id: number): Buffer | undefined {
  return pairs.find((p) => p.id === id)?.value;
}
