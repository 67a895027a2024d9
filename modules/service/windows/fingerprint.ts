/**
 * Password fingerprints (password-record.ps1 writes them on the host): how update_password:
 * always knows whether the password provision last set is the one the playbook has now, without
 * reading a password back. `pbkdf2-sha1$<iterations>$<salt base64>$<hash base64>`, the format of
 * .NET's Rfc2898DeriveBytes (PBKDF2-HMAC-SHA1).
 */
import { pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { windowsCommand } from './script.ts';
import type { PowerShellCommand } from '../../../src/core/types.ts';
import type { ServiceDesired } from '../schema.ts';
import { taskPath } from './schema.ts';

const FORMAT = /^pbkdf2-sha1\$(\d{1,7})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** Whether `password` is the one the record was made from; false for no record or an unreadable one. */
export function fingerprintMatches(password: string, record: string | null | undefined): boolean {
  const m = record ? FORMAT.exec(record) : null;
  if (!m) return false;
  const iterations = Number(m[1]);
  const salt = Buffer.from(m[2] as string, 'base64');
  const hash = Buffer.from(m[3] as string, 'base64');
  if (iterations < 1 || salt.length < 8 || hash.length < 16) return false;
  const mine = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, hash.length, 'sha1');
  return timingSafeEqual(mine, hash);
}

/** The name of a record: one per SCM service and one per task. */
export const serviceRecord = (d: ServiceDesired): string => `service:${d.name}`;
export const taskRecord = (d: ServiceDesired): string => `task:${taskPath(d)}${d.name}`;

/** Whether the password must be (re)sent: on create or account change, and for `always` when it differs from the recorded one. */
export function passwordDue(d: ServiceDesired, created: boolean, accountChanged: boolean, record: string | null | undefined): boolean {
  const w = d.windows ?? {};
  if (w.password === undefined) return false;
  if (created || accountChanged) return true;
  return w.update_password === 'always' && !fingerprintMatches(w.password, record);
}

export const recordCommand = (record: string, password: string | null, label: string): PowerShellCommand => windowsCommand('service/windows/password-record', { record, password }, label);
