/** Attribute changes as plain text, the same way in every report format. */
import { unifiedLineDiff } from '../cli/text-diff.ts';
import type { JsonValue } from '../core/types.ts';
import type { ReportChange, ReportResource } from './drift-report.ts';

export function valueText(v: JsonValue | undefined): string {
  return v === undefined ? '(absent)' : JSON.stringify(v);
}

/** Multi-line text (file content) reads better as a line diff than as one escaped string. */
export function contentDiff(c: ReportChange): string[] | null {
  const multiline = (v: JsonValue | undefined): boolean => typeof v === 'string' && v.includes('\n');
  if (c.sensitive || !(multiline(c.before) || multiline(c.after))) return null;
  if ((c.before !== undefined && typeof c.before !== 'string') || (c.after !== undefined && typeof c.after !== 'string')) return null;
  return unifiedLineDiff(c.before ?? '', c.after ?? '');
}

/** "attribute: before -> after", or the attribute and its line diff. */
export function changeLines(c: ReportChange): string[] {
  const diff = contentDiff(c);
  if (diff) return [`${c.attribute}:`, ...diff.map((l) => `  ${l}`)];
  return [`${c.attribute}: ${valueText(c.before)} -> ${valueText(c.after)}`];
}

/** One line saying how a resource drifted, e.g. "update: mode, owner". */
export function driftHeadline(r: ReportResource): string {
  // A resource missing on the host (or to be removed) differs in every attribute: naming them says nothing.
  const whole = r.changes.every((c) => c.before === undefined) || r.changes.every((c) => c.after === undefined);
  const attrs = whole ? [] : r.changes.map((c) => c.attribute);
  return `${r.action}${attrs.length > 0 ? `: ${attrs.join(', ')}` : r.reason ? ` (${r.reason})` : ''}`;
}
