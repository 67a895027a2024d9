/**
 * The acceptor side of NTLMv2 for the loopback WS-Management test server: issues a CHALLENGE and
 * verifies the AUTHENTICATE the way a Windows server does (NTProofStr against the known password,
 * MsvAvTimestamp echoed, MIC checked, session security flags required), then derives the session.
 */
import { randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import { decodeAvPairs, encodeAvPairs, findAvPair, type AvPair } from '../../src/transport/winrm/ntlm/av-pairs.ts';
import {
  channelBindingsHash,
  CLIENT_BLOB_AV_OFFSET,
  computeMic,
  filetimeBytes,
  filetimeNow,
  keyExchangeKey,
  ntlmv2Response,
  ntowfv2,
  rc4k,
} from '../../src/transport/winrm/ntlm/crypto.ts';
import { NtlmAuthError, NtlmProtocolError } from '../../src/transport/winrm/ntlm/errors.ts';
import { AV_FLAG_MIC_PRESENT, AvId, missingFlags, NegotiateFlag, SESSION_SECURITY_FLAGS, SUPPORTED_FLAGS } from '../../src/transport/winrm/ntlm/flags.ts';
import { decodeAuthenticate, decodeNegotiate, DEFAULT_VERSION, encodeChallenge, MIC_OFFSET } from '../../src/transport/winrm/ntlm/messages.ts';
import { NtlmSession } from '../../src/transport/winrm/ntlm/session.ts';

const NT_PROOF_LENGTH = 16;

export interface NtlmAcceptorOptions {
  readonly randomBytes?: (n: number) => Buffer;
  /** Server time as a FILETIME, sent as MsvAvTimestamp. */
  readonly now?: () => bigint;
  /** NetBIOS domain name announced in the target info. */
  readonly domain?: string;
  /** NetBIOS computer name announced in the target info. */
  readonly computer?: string;
  /** When set, the client must bind to this TLS channel (MsvAvChannelBindings), as with CbtHardeningLevel=Strict. */
  readonly channelBindings?: Buffer;
}

interface Pending {
  readonly negotiate: Buffer;
  readonly challenge: Buffer;
  readonly serverChallenge: Buffer;
  readonly timestamp: Buffer;
}

export class NtlmAcceptor {
  /** Lower-cased account name -> the name as configured, and its password. */
  private readonly accounts = new Map<string, { name: string; password: string }>();
  private pending: Pending | undefined;

  constructor(
    accounts: Map<string, string>,
    private readonly o: NtlmAcceptorOptions = {},
  ) {
    for (const [name, password] of accounts) this.accounts.set(name.toLowerCase(), { name, password });
  }

  challenge(negotiate: Buffer): Buffer {
    const neg = decodeNegotiate(negotiate);
    // Like Windows (MS-NLMP 3.2.5.1.1): UTF-16 when offered, else OEM (python ntlm-auth offers only OEM).
    const charset = neg.flags & NegotiateFlag.UNICODE ? NegotiateFlag.UNICODE : neg.flags & NegotiateFlag.OEM;
    if (!charset) throw new NtlmProtocolError('NEGOTIATE requests neither UNICODE nor OEM strings');
    const granted = neg.flags & SUPPORTED_FLAGS & ~(NegotiateFlag.UNICODE | NegotiateFlag.OEM);
    const flags = (granted | charset | NegotiateFlag.NTLM | NegotiateFlag.TARGET_INFO | NegotiateFlag.TARGET_TYPE_SERVER) >>> 0;
    const serverChallenge = (this.o.randomBytes ?? cryptoRandomBytes)(8);
    const timestamp = filetimeBytes((this.o.now ?? filetimeNow)());
    const domain = this.o.domain ?? 'WINRMTEST';
    const computer = this.o.computer ?? 'WINRM-TEST';
    const pairs: AvPair[] = [
      { id: AvId.NB_DOMAIN_NAME, value: Buffer.from(domain, 'utf16le') },
      { id: AvId.NB_COMPUTER_NAME, value: Buffer.from(computer, 'utf16le') },
      { id: AvId.DNS_DOMAIN_NAME, value: Buffer.from(`${domain.toLowerCase()}.test`, 'utf16le') },
      { id: AvId.DNS_COMPUTER_NAME, value: Buffer.from(`${computer.toLowerCase()}.${domain.toLowerCase()}.test`, 'utf16le') },
      { id: AvId.TIMESTAMP, value: timestamp },
    ];
    const challenge = encodeChallenge({
      flags,
      serverChallenge,
      targetName: domain,
      targetInfo: pairs,
      targetInfoBytes: encodeAvPairs(pairs),
      version: DEFAULT_VERSION,
    });
    this.pending = { negotiate: Buffer.from(negotiate), challenge, serverChallenge, timestamp };
    return challenge;
  }

  /** Verifies the AUTHENTICATE for the last challenge (once). Throws NtlmAuthError when refused. */
  accept(authenticate: Buffer): { user: string; session: NtlmSession } {
    const pending = this.pending;
    if (!pending) throw new NtlmProtocolError('AUTHENTICATE received without a preceding CHALLENGE');
    this.pending = undefined;
    const auth = decodeAuthenticate(authenticate);
    const missing = missingFlags(auth.flags, SESSION_SECURITY_FLAGS);
    if (missing.length > 0) throw new NtlmAuthError(`AUTHENTICATE lacks required flags ${missing.join(', ')}`);

    const account = this.lookup(auth.user, auth.domain);
    const nt = auth.ntChallengeResponse;
    if (nt.length < NT_PROOF_LENGTH + CLIENT_BLOB_AV_OFFSET + 4) {
      throw new NtlmAuthError('AUTHENTICATE carries no NTLMv2 response (NTLMv1 and LM are refused)');
    }
    const blob = nt.subarray(NT_PROOF_LENGTH);
    if (blob[0] !== 1 || blob[1] !== 1) throw new NtlmAuthError('NTLMv2 client challenge has an unknown response version');
    const expected = ntlmv2Response(ntowfv2(account?.password ?? '', auth.user, auth.domain), pending.serverChallenge, blob);
    if (!account || !timingSafeEqual(expected.ntProofStr, nt.subarray(0, NT_PROOF_LENGTH))) {
      throw new NtlmAuthError(`logon failure for ${auth.domain ? `${auth.domain}\\` : ''}${auth.user}: unknown user or wrong password`);
    }

    const pairs = decodeAvPairs(blob.subarray(CLIENT_BLOB_AV_OFFSET));
    const echoed = findAvPair(pairs, AvId.TIMESTAMP);
    if (!echoed || !echoed.equals(pending.timestamp)) throw new NtlmAuthError('NTLMv2 response does not echo the challenge timestamp');
    const avFlags = findAvPair(pairs, AvId.FLAGS);
    const micPromised = avFlags !== undefined && avFlags.length === 4 && (avFlags.readUInt32LE(0) & AV_FLAG_MIC_PRESENT) !== 0;
    if (!micPromised || !auth.mic) throw new NtlmAuthError('AUTHENTICATE carries no MIC although the challenge had a timestamp');

    if (this.o.channelBindings) {
      const bound = findAvPair(pairs, AvId.CHANNEL_BINDINGS);
      if (!bound || !bound.equals(channelBindingsHash(this.o.channelBindings))) {
        throw new NtlmAuthError('NTLMv2 response is not bound to this TLS channel (MsvAvChannelBindings missing or different)');
      }
    }
    if (auth.encryptedRandomSessionKey.length !== 16) throw new NtlmAuthError('AUTHENTICATE lacks the 16-byte encrypted session key');
    const exportedSessionKey = rc4k(keyExchangeKey(expected.sessionBaseKey), auth.encryptedRandomSessionKey);
    const zeroed = Buffer.from(authenticate);
    zeroed.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
    const mic = computeMic(exportedSessionKey, pending.negotiate, pending.challenge, zeroed);
    if (!timingSafeEqual(mic, auth.mic)) throw new NtlmAuthError('AUTHENTICATE MIC does not verify (messages altered in transit)');

    return { user: account.name, session: NtlmSession.server(exportedSessionKey) };
  }

  private lookup(user: string, domain: string): { name: string; password: string } | undefined {
    const qualified = domain ? this.accounts.get(`${domain}\\${user}`.toLowerCase()) : undefined;
    return qualified ?? this.accounts.get(user.toLowerCase());
  }
}
