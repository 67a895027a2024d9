/** Small pure helpers modules use to build attribute-level diffs. */
import { jsonEqual } from './json.ts';
import type { AttributeChange, DiffResult, JsonValue } from './types.ts';

/**
 * Compare the attributes the operator set (undefined in `desired` means "not managed") with
 * current values. Only managed attributes can produce changes.
 */
export function changedAttributes(
  desired: Readonly<Record<string, JsonValue | undefined>>,
  current: Readonly<Record<string, JsonValue | undefined>>,
): AttributeChange[] {
  const changes: AttributeChange[] = [];
  for (const [attribute, after] of Object.entries(desired)) {
    if (after === undefined) continue;
    const before = current[attribute];
    if (!jsonEqual(before, after)) changes.push({ attribute, before, after });
  }
  return changes;
}

/** Every managed attribute as a change from absent: what a create shows. */
export function createdAttributes(desired: Readonly<Record<string, JsonValue | undefined>>): AttributeChange[] {
  return Object.entries(desired)
    .filter((e): e is [string, JsonValue] => e[1] !== undefined)
    .map(([attribute, after]) => ({ attribute, before: undefined, after }));
}

export function unchanged(reason: string): DiffResult {
  return { status: 'ok', reason };
}

export function updateOrOk(changes: AttributeChange[], okReason: string): DiffResult {
  return changes.length === 0 ? unchanged(okReason) : { status: 'change', action: 'update', changes };
}

/** Normalise a file mode given as "644", "0644" or "00644" to four octal digits. */
export function normaliseMode(mode: string): string {
  const digits = mode.replace(/^0+(?=\d{4})/, '');
  return digits.padStart(4, '0');
}
