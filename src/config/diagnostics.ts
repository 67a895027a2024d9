/**
 * User mistakes are diagnostics, not exceptions: each names the file, line and column, the
 * JSON path, what is wrong and a hint. Nothing touches a host while any error is present.
 */

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly location: SourceLocation;
  /** JSON path in the document, e.g. /0/resources/2/mode. */
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
  /** Set when the problem only exists for some host (templates render per host). */
  readonly host?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.location.file}:${d.location.line}:${d.location.column}`;
  const host = d.host ? ` [host ${d.host}]` : '';
  const lines = [`${where}: ${d.severity}: ${d.message}${host}`, `  at ${d.path || '/'}`];
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join('\n');
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

/** Keep one diagnostic per place and message: per-host rendering repeats host-independent mistakes. */
export function dedupe(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Map<string, Diagnostic>();
  for (const d of ds) {
    const key = `${d.location.file}:${d.location.line}:${d.location.column}:${d.path}:${d.message}`;
    if (!seen.has(key)) seen.set(key, d);
  }
  return [...seen.values()].sort(
    (a, b) => a.location.file.localeCompare(b.location.file) || a.location.line - b.location.line || a.location.column - b.location.column,
  );
}

/** Thrown when validation found errors; carries them for the CLI to print. */
export class ValidationFailed extends Error {
  override name = 'ValidationFailed';
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(`${diagnostics.filter((d) => d.severity === 'error').length} error(s) in the configuration`);
  }
}

/** The closest candidate by edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
