/** A compact unified line diff for showing content changes in plans. */

const MAX_LINES = 3000;
const CONTEXT = 2;

export function unifiedLineDiff(before: string, after: string): string[] {
  const a = lines(before);
  const b = lines(after);
  if (before.endsWith('\n') !== after.endsWith('\n') && before !== '' && after !== '') {
    (before.endsWith('\n') ? b : a).push('\\ (no newline at end of file)');
  }
  if (a.length > MAX_LINES || b.length > MAX_LINES) return [`(${a.length} lines -> ${b.length} lines; too long to show)`];
  // Longest common subsequence table, from the end.
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] = a[i] === b[j] ? (lcs[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(lcs[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const ops: { op: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i++] as string });
      j++;
    } else if (i < a.length && (j >= b.length || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      ops.push({ op: '-', line: a[i++] as string });
    } else {
      ops.push({ op: '+', line: b[j++] as string });
    }
  }
  // Keep changed lines with a little context; elide the rest.
  const keep = ops.map((o, k) => ops.slice(Math.max(0, k - CONTEXT), k + CONTEXT + 1).some((x) => x.op !== ' '));
  const out: string[] = [];
  let skipped = 0;
  ops.forEach((o, k) => {
    if (!keep[k]) {
      skipped++;
      return;
    }
    if (skipped > 0) out.push(`  … ${skipped} unchanged line${skipped === 1 ? '' : 's'}`);
    skipped = 0;
    out.push(`${o.op} ${o.line}`);
  });
  if (skipped > 0) out.push(`  … ${skipped} unchanged line${skipped === 1 ? '' : 's'}`);
  return out;
}

function lines(text: string): string[] {
  if (text === '') return [];
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}
