/** The one place secrets are removed: every value that leaves the engine passes through here. */
import { isSensitive } from '../config/resource.ts';
import type { AttributeChange, JsonValue } from '../core/types.ts';

export const REDACTED = '(sensitive)';

export interface PlannedChange {
  readonly attribute: string;
  readonly before?: JsonValue;
  readonly after?: JsonValue;
  readonly sensitive?: true;
}

export function redactChange(c: AttributeChange, sensitivePaths: ReadonlySet<string>): PlannedChange {
  if (!isSensitive(sensitivePaths, c.attribute)) return { attribute: c.attribute, before: c.before, after: c.after };
  return {
    attribute: c.attribute,
    ...(c.before === undefined ? {} : { before: REDACTED }),
    ...(c.after === undefined ? {} : { after: REDACTED }),
    sensitive: true,
  };
}

/** Replace every occurrence of a known secret value in free text (command output, errors). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s.length >= 3) out = out.split(s).join(REDACTED);
  return out;
}

/** A copy of desired attributes with sensitive paths replaced, for digests and JSON. */
export function redactDesired(desired: Readonly<Record<string, unknown>>, sensitivePaths: ReadonlySet<string>): Record<string, unknown> {
  const walk = (v: unknown, path: string): unknown => {
    if (path !== '' && sensitivePaths.has(path)) return REDACTED;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, path === '' ? k : `${path}.${k}`)]));
    }
    return v;
  };
  return walk(desired, '') as Record<string, unknown>;
}
