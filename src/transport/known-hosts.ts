/**
 * known_hosts checking as OpenSSH does it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), so a host the
 * operator already trusts with `ssh` is trusted here, and nothing else is.
 *
 * Host keys are handled as SSH wire-format blobs (what ssh2's hostVerifier receives): the blob
 * starts with the key type, so comparing blobs compares type and key material together.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { hostLineMatches } from './ssh-config.ts';

export type KnownHostsStatus = 'match' | 'mismatch' | 'unknown' | 'revoked';

export interface HostKeyCheck {
  readonly status: KnownHostsStatus;
  /** 1-based line that decided a match, mismatch or revocation (for "Offending key in FILE:LINE"). */
  readonly line?: number;
}

interface Entry {
  readonly line: number;
  readonly marker: 'revoked' | null;
  readonly hosts: string;
  readonly keyType: string;
  readonly key: Buffer;
}

/**
 * Check `key` (wire blob) presented by `host`:`port` against known_hosts text.
 * A revoked key is refused even if another line accepts it; a recorded key of the same type that
 * differs is a mismatch (possible man-in-the-middle); keys of other types only do not make a
 * known host (OpenSSH also treats that as new).
 */
export function checkHostKey(knownHosts: string, host: string, port: number, key: Buffer): HostKeyCheck {
  const name = knownHostsName(host, port);
  const type = hostKeyType(key);
  const entries = parseKnownHosts(knownHosts).filter((e) => entryMatchesHost(e.hosts, name));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const plain = entries.filter((e) => e.marker === null);
  const match = plain.find((e) => e.key.equals(key));
  if (match) return { status: 'match', line: match.line };
  const changed = plain.find((e) => e.keyType === type);
  if (changed) return { status: 'mismatch', line: changed.line };
  return { status: 'unknown' };
}

/** Key types recorded for a host, so the client can ask the server for a key it can verify. */
export function knownHostKeyTypes(knownHosts: string, host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = parseKnownHosts(knownHosts)
    .filter((e) => e.marker === null && entryMatchesHost(e.hosts, name))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/** The name known_hosts records: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** A known_hosts line for this key, as ssh-keyscan prints it. */
export function knownHostsLine(host: string, port: number, key: Buffer): string {
  return `${knownHostsName(host, port)} ${hostKeyType(key)} ${key.toString('base64')}`;
}

/** OpenSSH's fingerprint format (`ssh-keygen -l`): SHA256 of the blob, base64 without padding. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The type name at the start of a wire-format key blob, e.g. "ssh-ed25519". */
export function hostKeyType(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  if (len > key.length - 4) return 'unknown';
  return key.subarray(4, 4 + len).toString('latin1');
}

function parseKnownHosts(text: string): Entry[] {
  const entries: Entry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = (lines[i] ?? '').trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    let marker: Entry['marker'] = null;
    if (fields[0].startsWith('@')) {
      // @cert-authority lines name a CA, not a host key; host certificates are not supported,
      // so they are ignored (they can never make an unknown key trusted).
      if (fields[0] !== '@revoked') continue;
      marker = 'revoked';
      fields.shift();
    }
    const [hosts, keyType, base64] = fields;
    if (hosts === undefined || keyType === undefined || base64 === undefined) continue;
    const key = Buffer.from(base64, 'base64');
    // A line whose blob disagrees with its type field is corrupt; skip it rather than guess.
    if (hostKeyType(key) !== keyType) continue;
    entries.push({ line: i + 1, marker, hosts, keyType, key });
  }
  return entries;
}

/** Hashed (`|1|salt|hmac`) or a comma list of patterns where any `!negated` match vetoes. */
function entryMatchesHost(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) return hashedMatches(hosts, name);
  return hostLineMatches(hosts.split(','), name);
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

