/**
 * NTLMSSP message encoding and strict decoding (MS-NLMP 2.2.1). Decoders check every length and
 * offset before reading and throw NtlmProtocolError; they never read outside the given buffer.
 */
import { decodeAvPairs, type AvPair } from './av-pairs.ts';
import { NtlmProtocolError } from './errors.ts';
import { NegotiateFlag } from './flags.ts';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
const NEGOTIATE_HEADER = 32;
const CHALLENGE_HEADER = 48;
const AUTHENTICATE_HEADER = 64;
const VERSION_LENGTH = 8;
export const MIC_OFFSET = 72;
const MIC_LENGTH = 16;

/** VERSION structure (MS-NLMP 2.2.2.10) for Windows 10.0 build 17763, NTLMSSP revision 15; informational only. */
export const DEFAULT_VERSION = Buffer.from('0a0063450000000f', 'hex');

export interface NegotiateMessage {
  readonly flags: number;
  readonly domain: string;
  readonly workstation: string;
  readonly version?: Buffer;
}

export interface ChallengeMessage {
  readonly flags: number;
  readonly serverChallenge: Buffer;
  readonly targetName: string;
  readonly targetInfo: readonly AvPair[];
  readonly version?: Buffer;
}

export interface AuthenticateMessage {
  readonly flags: number;
  readonly lmChallengeResponse: Buffer;
  readonly ntChallengeResponse: Buffer;
  readonly domain: string;
  readonly user: string;
  readonly workstation: string;
  readonly encryptedRandomSessionKey: Buffer;
  readonly version?: Buffer;
  /** Present when the header has room for it (no payload starts before byte 88). */
  readonly mic?: Buffer;
}

// ---- encoding ----

function encodeString(s: string, flags: number): Buffer {
  return Buffer.from(s, flags & NegotiateFlag.UNICODE ? 'utf16le' : 'latin1');
}

function checkVersion(version: Buffer | undefined): void {
  if (version && version.length !== VERSION_LENGTH) throw new NtlmProtocolError('NTLM version must be 8 bytes');
}

/** Writes the payload after the fixed header and points each security buffer at its part. */
function assemble(header: Buffer, fields: readonly { at: number; data: Buffer }[]): Buffer {
  let offset = header.length;
  for (const f of fields) {
    if (f.data.length > 0xffff) throw new NtlmProtocolError('NTLM field longer than 65535 bytes');
    header.writeUInt16LE(f.data.length, f.at);
    header.writeUInt16LE(f.data.length, f.at + 2);
    header.writeUInt32LE(offset, f.at + 4);
    offset += f.data.length;
  }
  return Buffer.concat([header, ...fields.map((f) => f.data)]);
}

function newHeader(length: number, type: number, flags: number, flagsAt: number): Buffer {
  const h = Buffer.alloc(length);
  SIGNATURE.copy(h, 0);
  h.writeUInt32LE(type, 8);
  h.writeUInt32LE(flags >>> 0, flagsAt);
  return h;
}

export function encodeNegotiate(m: NegotiateMessage): Buffer {
  checkVersion(m.version);
  const h = newHeader(NEGOTIATE_HEADER + (m.version ? VERSION_LENGTH : 0), 1, m.flags, 12);
  m.version?.copy(h, NEGOTIATE_HEADER);
  // Domain and workstation go as OEM strings (MS-NLMP 2.2.1.1); they are empty in practice.
  return assemble(h, [
    { at: 16, data: Buffer.from(m.domain, 'latin1') },
    { at: 24, data: Buffer.from(m.workstation, 'latin1') },
  ]);
}

export function encodeChallenge(m: ChallengeMessage & { readonly targetInfoBytes: Buffer }): Buffer {
  checkVersion(m.version);
  if (m.serverChallenge.length !== 8) throw new NtlmProtocolError('server challenge must be 8 bytes');
  const h = newHeader(CHALLENGE_HEADER + (m.version ? VERSION_LENGTH : 0), 2, m.flags, 20);
  m.serverChallenge.copy(h, 24);
  m.version?.copy(h, CHALLENGE_HEADER);
  return assemble(h, [
    { at: 12, data: encodeString(m.targetName, m.flags) },
    { at: 40, data: m.targetInfoBytes },
  ]);
}

/** With `mic` the header is 88 bytes and the MIC sits at byte 72 (pass 16 zero bytes, then patch). */
export function encodeAuthenticate(m: AuthenticateMessage): Buffer {
  checkVersion(m.version);
  if (m.mic && !m.version) throw new NtlmProtocolError('a MIC needs the version field before it');
  if (m.mic && m.mic.length !== MIC_LENGTH) throw new NtlmProtocolError('MIC must be 16 bytes');
  const length = AUTHENTICATE_HEADER + (m.version ? VERSION_LENGTH : 0) + (m.mic ? MIC_LENGTH : 0);
  const h = newHeader(length, 3, m.flags, 60);
  m.version?.copy(h, AUTHENTICATE_HEADER);
  m.mic?.copy(h, MIC_OFFSET);
  return assemble(h, [
    { at: 28, data: encodeString(m.domain, m.flags) },
    { at: 36, data: encodeString(m.user, m.flags) },
    { at: 44, data: encodeString(m.workstation, m.flags) },
    { at: 12, data: m.lmChallengeResponse },
    { at: 20, data: m.ntChallengeResponse },
    { at: 52, data: m.encryptedRandomSessionKey },
  ]);
}

// ---- decoding ----

interface Field {
  readonly data: Buffer;
  readonly offset: number;
}

function checkHeader(buf: Buffer, type: number, minLength: number, what: string): void {
  if (buf.length < minLength) throw new NtlmProtocolError(`${what} message is truncated (${buf.length} bytes)`);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new NtlmProtocolError(`${what} message lacks the NTLMSSP signature`);
  const actual = buf.readUInt32LE(8);
  if (actual !== type) throw new NtlmProtocolError(`expected an NTLM ${what} message (type ${type}), got type ${actual}`);
}

function readField(buf: Buffer, at: number, headerLength: number, name: string): Field {
  const len = buf.readUInt16LE(at);
  const offset = buf.readUInt32LE(at + 4);
  if (len === 0) return { data: Buffer.alloc(0), offset: Number.POSITIVE_INFINITY };
  if (offset < headerLength || offset + len > buf.length) {
    throw new NtlmProtocolError(`${name} (offset ${offset}, length ${len}) lies outside the ${buf.length}-byte message`);
  }
  return { data: Buffer.from(buf.subarray(offset, offset + len)), offset };
}

function decodeString(data: Buffer, unicode: boolean, name: string): string {
  if (!unicode) return data.toString('latin1');
  if (data.length % 2 !== 0) throw new NtlmProtocolError(`${name} has an odd length for UTF-16`);
  return data.toString('utf16le');
}

/** The version field is there when flagged and the payload starts after it. */
function readVersion(buf: Buffer, flags: number, at: number, payloadStart: number): Buffer | undefined {
  if (!(flags & NegotiateFlag.VERSION) || payloadStart < at + VERSION_LENGTH || buf.length < at + VERSION_LENGTH) {
    return undefined;
  }
  return Buffer.from(buf.subarray(at, at + VERSION_LENGTH));
}

export function decodeNegotiate(buf: Buffer): NegotiateMessage {
  checkHeader(buf, 1, NEGOTIATE_HEADER, 'NEGOTIATE');
  const flags = buf.readUInt32LE(12);
  const domain = readField(buf, 16, NEGOTIATE_HEADER, 'NEGOTIATE domain');
  const workstation = readField(buf, 24, NEGOTIATE_HEADER, 'NEGOTIATE workstation');
  const payloadStart = Math.min(domain.offset, workstation.offset, buf.length);
  const version = readVersion(buf, flags, NEGOTIATE_HEADER, payloadStart);
  return {
    flags,
    domain: domain.data.toString('latin1'),
    workstation: workstation.data.toString('latin1'),
    ...(version ? { version } : {}),
  };
}

export function decodeChallenge(buf: Buffer): ChallengeMessage {
  checkHeader(buf, 2, CHALLENGE_HEADER, 'CHALLENGE');
  const flags = buf.readUInt32LE(20);
  const unicode = (flags & NegotiateFlag.UNICODE) !== 0;
  const targetName = readField(buf, 12, CHALLENGE_HEADER, 'CHALLENGE target name');
  const targetInfo = readField(buf, 40, CHALLENGE_HEADER, 'CHALLENGE target info');
  const payloadStart = Math.min(targetName.offset, targetInfo.offset, buf.length);
  const version = readVersion(buf, flags, CHALLENGE_HEADER, payloadStart);
  return {
    flags,
    serverChallenge: Buffer.from(buf.subarray(24, 32)),
    targetName: decodeString(targetName.data, unicode, 'CHALLENGE target name'),
    targetInfo: targetInfo.data.length > 0 ? decodeAvPairs(targetInfo.data) : [],
    ...(version ? { version } : {}),
  };
}

export function decodeAuthenticate(buf: Buffer): AuthenticateMessage {
  checkHeader(buf, 3, AUTHENTICATE_HEADER, 'AUTHENTICATE');
  const flags = buf.readUInt32LE(60);
  const unicode = (flags & NegotiateFlag.UNICODE) !== 0;
  const f = (at: number, name: string): Field => readField(buf, at, AUTHENTICATE_HEADER, `AUTHENTICATE ${name}`);
  const lm = f(12, 'LM response');
  const nt = f(20, 'NT response');
  const domain = f(28, 'domain');
  const user = f(36, 'user');
  const workstation = f(44, 'workstation');
  const key = f(52, 'session key');
  const payloadStart = Math.min(lm.offset, nt.offset, domain.offset, user.offset, workstation.offset, key.offset, buf.length);
  const version = readVersion(buf, flags, AUTHENTICATE_HEADER, payloadStart);
  // Like Windows, infer the MIC from the payload offsets: the flags do not announce it.
  const hasMic = payloadStart >= MIC_OFFSET + MIC_LENGTH;
  return {
    flags,
    lmChallengeResponse: lm.data,
    ntChallengeResponse: nt.data,
    domain: decodeString(domain.data, unicode, 'AUTHENTICATE domain'),
    user: decodeString(user.data, unicode, 'AUTHENTICATE user'),
    workstation: decodeString(workstation.data, unicode, 'AUTHENTICATE workstation'),
    encryptedRandomSessionKey: key.data,
    ...(version ? { version } : {}),
    ...(hasMic ? { mic: Buffer.from(buf.subarray(MIC_OFFSET, MIC_OFFSET + MIC_LENGTH)) } : {}),
  };
}
