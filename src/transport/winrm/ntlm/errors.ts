/** Typed NTLM failures, so callers can tell a malformed peer from a wrong password or tampering. */

/** Base of every NTLM failure. */
export class NtlmError extends Error {
  override name = 'NtlmError';
}

/** A message that is not well-formed NTLMSSP (truncated, out-of-range offsets, wrong type). */
export class NtlmProtocolError extends NtlmError {
  override name = 'NtlmProtocolError';
}

/** Authentication refused: unknown account, wrong password, bad MIC or missing required flags. */
export class NtlmAuthError extends NtlmError {
  override name = 'NtlmAuthError';
}

/** A sealed message whose checksum or sequence number does not verify (tampered, replayed, reordered). */
export class NtlmIntegrityError extends NtlmError {
  override name = 'NtlmIntegrityError';
}
