/** NTLMSSP negotiate flags (MS-NLMP 2.2.2.5) and AV pair ids (2.2.2.1) this implementation uses. */
export const NegotiateFlag = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  LM_KEY: 0x00000080,
  NTLM: 0x00000200,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  KEY_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  KEY_56: 0x80000000,
} as const;

/**
 * What sealed WinRM over HTTP needs from both sides: NTLMv2 session security with a negotiated
 * 128-bit key. A peer that does not grant all of these is refused rather than downgraded.
 */
export const SESSION_SECURITY_FLAGS =
  NegotiateFlag.SIGN |
  NegotiateFlag.SEAL |
  NegotiateFlag.EXTENDED_SESSIONSECURITY |
  NegotiateFlag.KEY_128 |
  NegotiateFlag.KEY_EXCH;

/** What this client needs granted in a CHALLENGE: session security, NTLM and UTF-16 strings. */
export const REQUIRED_FLAGS = SESSION_SECURITY_FLAGS | NegotiateFlag.UNICODE | NegotiateFlag.NTLM;

/** Everything this implementation offers (client) or grants (acceptor); the rest is never negotiated. */
export const SUPPORTED_FLAGS =
  REQUIRED_FLAGS |
  NegotiateFlag.REQUEST_TARGET |
  NegotiateFlag.ALWAYS_SIGN |
  NegotiateFlag.TARGET_INFO |
  NegotiateFlag.VERSION |
  NegotiateFlag.KEY_56;

export const AvId = {
  EOL: 0,
  NB_COMPUTER_NAME: 1,
  NB_DOMAIN_NAME: 2,
  DNS_COMPUTER_NAME: 3,
  DNS_DOMAIN_NAME: 4,
  DNS_TREE_NAME: 5,
  FLAGS: 6,
  TIMESTAMP: 7,
  SINGLE_HOST: 8,
  TARGET_NAME: 9,
  CHANNEL_BINDINGS: 10,
} as const;

/** MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
export const AV_FLAG_MIC_PRESENT = 0x00000002;

/** Names of the REQUIRED_FLAGS bits missing from flags, for error messages. */
export function missingFlags(flags: number, required: number = REQUIRED_FLAGS): string[] {
  return Object.entries(NegotiateFlag)
    .filter(([, bit]) => (required & bit) !== 0 && (flags & bit) === 0)
    .map(([name]) => name);
}
