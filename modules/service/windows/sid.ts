/**
 * Windows accounts compared by SID, never by name. Well-known service accounts and virtual
 * service accounts (`NT SERVICE\<name>`) resolve here without a host; any other name is resolved
 * by the read script on the host (NTAccount.Translate) and handed back in the read state.
 */
import { createHash } from 'node:crypto';

export const SYSTEM_SID = 'S-1-5-18';
export const LOCAL_SERVICE_SID = 'S-1-5-19';
export const NETWORK_SERVICE_SID = 'S-1-5-20';

/** Spellings the SCM, sc.exe, Task Scheduler and people use for the three built-in service accounts. */
const WELL_KNOWN: Readonly<Record<string, string>> = {
  localsystem: SYSTEM_SID,
  system: SYSTEM_SID,
  'nt authority\\system': SYSTEM_SID,
  '.\\localsystem': SYSTEM_SID,
  localservice: LOCAL_SERVICE_SID,
  'local service': LOCAL_SERVICE_SID,
  'nt authority\\localservice': LOCAL_SERVICE_SID,
  'nt authority\\local service': LOCAL_SERVICE_SID,
  networkservice: NETWORK_SERVICE_SID,
  'network service': NETWORK_SERVICE_SID,
  'nt authority\\networkservice': NETWORK_SERVICE_SID,
  'nt authority\\network service': NETWORK_SERVICE_SID,
};

const VIRTUAL = /^nt service\\(.+)$/i;
const SID = /^S-1-\d+(-\d+)+$/i;

/**
 * The SID of a virtual service account: S-1-5-80- followed by the SHA-1 of the upper-cased
 * service name in UTF-16LE, read as five little-endian 32-bit sub-authorities (what
 * `sc.exe showsid` prints).
 */
export function serviceSid(serviceName: string): string {
  const hash = createHash('sha1').update(Buffer.from(serviceName.toUpperCase(), 'utf16le')).digest();
  const parts: number[] = [];
  for (let i = 0; i < 20; i += 4) parts.push(hash.readUInt32LE(i));
  return `S-1-5-80-${parts.join('-')}`;
}

/** The SID of an account name when it can be known without the host, else null. */
export function knownSid(account: string): string | null {
  const a = account.trim();
  if (SID.test(a)) return a.toUpperCase();
  const wk = WELL_KNOWN[a.toLowerCase()];
  if (wk) return wk;
  const v = VIRTUAL.exec(a);
  if (v?.[1]) return serviceSid(v[1]);
  return null;
}

export type AccountKind = 'builtin' | 'virtual' | 'gmsa' | 'user';

/** Built-in and virtual accounts and gMSAs take no password; users do. */
export function accountKind(account: string): AccountKind {
  const a = account.trim();
  if (WELL_KNOWN[a.toLowerCase()]) return 'builtin';
  if (VIRTUAL.test(a)) return 'virtual';
  if (a.endsWith('$')) return 'gmsa';
  return 'user';
}

/** Accounts that need SeServiceLogonRight granted explicitly (a user or a gMSA). */
export const needsLogonRight = (account: string): boolean => {
  const k = accountKind(account);
  return k === 'user' || k === 'gmsa';
};

/**
 * Whether two account spellings denote the same account: by SID when both are known (from the
 * table above or from the host's resolution), else by name, case-insensitively.
 */
export function sameAccount(a: string, aSid: string | null, b: string, bSid: string | null): boolean {
  const x = aSid ?? knownSid(a);
  const y = bSid ?? knownSid(b);
  if (x !== null && y !== null) return x.toUpperCase() === y.toUpperCase();
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
