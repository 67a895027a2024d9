/**
 * The initiator side of NTLMv2 (MS-NLMP 3.1.5): NEGOTIATE, then AUTHENTICATE for the server's
 * CHALLENGE, then a sealing session keyed by a fresh exported session key.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { encodeAvPairs, findAvPair, type AvPair } from './av-pairs.ts';
import {
  channelBindingsHash,
  clientBlob,
  computeMic,
  filetimeBytes,
  filetimeNow,
  keyExchangeKey,
  lmowfv2,
  lmv2Response,
  ntlmv2Response,
  ntowfv2,
  rc4k,
} from './crypto.ts';
import { NtlmProtocolError } from './errors.ts';
import { AV_FLAG_MIC_PRESENT, AvId, missingFlags, NegotiateFlag, SUPPORTED_FLAGS } from './flags.ts';
import { decodeChallenge, DEFAULT_VERSION, encodeAuthenticate, encodeNegotiate, MIC_OFFSET } from './messages.ts';
import { NtlmSession } from './session.ts';

/** Flags the client asks for; the AUTHENTICATE carries those the server also granted. */
const CLIENT_FLAGS = SUPPORTED_FLAGS;

export interface NtlmClientOptions {
  /** `user`, `DOMAIN\user` or `user@domain` (a UPN goes whole, with an empty domain, as Windows sends it). */
  readonly user: string;
  readonly password: string;
  /** Overrides a domain given in `user` as DOMAIN\user. */
  readonly domain?: string;
  readonly workstation?: string;
  readonly randomBytes?: (n: number) => Buffer;
  /** Current time as a FILETIME, used only when the server sends no MsvAvTimestamp. */
  readonly now?: () => bigint;
  /** The 8-byte VERSION structure sent in NEGOTIATE and AUTHENTICATE. */
  readonly version?: Buffer;
  /**
   * Channel binding application data for NTLM over TLS (Extended Protection): "tls-server-end-point:"
   * followed by the hash of the server certificate (RFC 5929). Its MD5 goes in MsvAvChannelBindings.
   */
  readonly channelBindings?: Buffer;
}

export interface Account {
  readonly user: string;
  readonly domain: string;
}

/** Splits DOMAIN\user; keeps a UPN (user@domain) whole with an empty domain, as Windows SSPI does. */
export function parseAccount(user: string, domain?: string): Account {
  const slash = user.indexOf('\\');
  if (slash >= 0) return { user: user.slice(slash + 1), domain: domain ?? user.slice(0, slash) };
  return { user, domain: domain ?? '' };
}

export class NtlmClient {
  private readonly account: Account;
  private readonly version: Buffer;
  private negotiateMessage: Buffer | undefined;
  private established: NtlmSession | undefined;

  constructor(private readonly o: NtlmClientOptions) {
    this.account = parseAccount(o.user, o.domain);
    this.version = o.version ?? DEFAULT_VERSION;
    if (this.version.length !== 8) throw new RangeError('NTLM version must be 8 bytes');
  }

  negotiate(): Buffer {
    this.negotiateMessage = encodeNegotiate({ flags: CLIENT_FLAGS, domain: '', workstation: '', version: this.version });
    this.established = undefined;
    return this.negotiateMessage;
  }

  authenticate(challenge: Buffer): Buffer {
    const negotiate = this.negotiateMessage;
    if (!negotiate) throw new NtlmProtocolError('NTLM authenticate() called before negotiate()');
    const ch = decodeChallenge(challenge);
    const missing = missingFlags(ch.flags);
    if (missing.length > 0) {
      throw new NtlmProtocolError(
        `the server did not grant NTLM flags ${missing.join(', ')}: message sealing needs NTLMv2 session security with 128-bit key exchange`,
      );
    }
    // VERSION stays set: the AUTHENTICATE always carries the version field (and the MIC after it).
    const flags = (CLIENT_FLAGS & (ch.flags | NegotiateFlag.REQUEST_TARGET | NegotiateFlag.VERSION)) >>> 0;
    const random = this.o.randomBytes ?? cryptoRandomBytes;
    const clientChallenge = exactly(random(8), 8, 'client challenge');
    const exportedSessionKey = exactly(random(16), 16, 'session key');

    const serverTime = findAvPair(ch.targetInfo, AvId.TIMESTAMP);
    if (serverTime && serverTime.length !== 8) throw new NtlmProtocolError('CHALLENGE MsvAvTimestamp is not 8 bytes');
    const timestamp = serverTime ?? filetimeBytes((this.o.now ?? filetimeNow)());
    // With a server timestamp the MIC protects the whole exchange; say so in MsvAvFlags (inside the
    // NTProofStr, so it cannot be stripped). Without one, old servers expect an LMv2 response instead.
    const pairs = serverTime ? withMicFlag(ch.targetInfo) : [...ch.targetInfo];
    if (this.o.channelBindings) pairs.push({ id: AvId.CHANNEL_BINDINGS, value: channelBindingsHash(this.o.channelBindings) });
    const { user, domain } = this.account;
    const responseKey = ntowfv2(this.o.password, user, domain);
    const nt = ntlmv2Response(responseKey, ch.serverChallenge, clientBlob(timestamp, clientChallenge, encodeAvPairs(pairs)));
    const lm = serverTime ? Buffer.alloc(24) : lmv2Response(lmowfv2(this.o.password, user, domain), ch.serverChallenge, clientChallenge);
    const encryptedKey = rc4k(keyExchangeKey(nt.sessionBaseKey), exportedSessionKey);

    const message = encodeAuthenticate({
      flags,
      lmChallengeResponse: lm,
      ntChallengeResponse: nt.ntChallengeResponse,
      domain,
      user,
      workstation: this.o.workstation ?? '',
      encryptedRandomSessionKey: encryptedKey,
      version: this.version,
      ...(serverTime ? { mic: Buffer.alloc(16) } : {}),
    });
    if (serverTime) computeMic(exportedSessionKey, negotiate, challenge, message).copy(message, MIC_OFFSET);
    this.established = NtlmSession.client(exportedSessionKey);
    return message;
  }

  session(): NtlmSession {
    if (!this.established) throw new NtlmProtocolError('NTLM session() called before authenticate()');
    return this.established;
  }
}

function exactly(b: Buffer, n: number, what: string): Buffer {
  if (b.length !== n) throw new RangeError(`randomBytes returned ${b.length} bytes for the ${what}, expected ${n}`);
  return b;
}

/** The server's pairs with the MIC bit set in MsvAvFlags (added at the end when absent). */
function withMicFlag(pairs: readonly AvPair[]): AvPair[] {
  const flagValue = (old: Buffer | undefined): Buffer => {
    const v = Buffer.alloc(4);
    v.writeUInt32LE(((old && old.length === 4 ? old.readUInt32LE(0) : 0) | AV_FLAG_MIC_PRESENT) >>> 0);
    return v;
  };
  const existing = findAvPair(pairs, AvId.FLAGS);
  if (existing) return pairs.map((p) => (p.id === AvId.FLAGS ? { id: p.id, value: flagValue(p.value) } : p));
  return [...pairs, { id: AvId.FLAGS, value: flagValue(undefined) }];
}
