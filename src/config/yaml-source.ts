/** YAML files read with their source positions, so every diagnostic can point at a line and column. */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic, SourceLocation } from './diagnostics.ts';

export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  /** The document as plain data (YAML 1.2 core schema). */
  readonly data: unknown;
}

export type JsonPath = readonly (string | number)[];

export function readYamlFile(file: string, displayName = file): { source?: YamlSource; diagnostics: Diagnostic[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    return { diagnostics: [{ severity: 'error', location: { file: displayName, line: 1, column: 1 }, path: '', message: `cannot read ${displayName}: ${reason}` }] };
  }
  return parseYamlText(text, displayName);
}

export function parseYamlText(text: string, file: string): { source?: YamlSource; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  const diagnostics: Diagnostic[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const pos = lineCounter.linePos(e.pos[0]);
    diagnostics.push({
      severity: doc.errors.includes(e as never) ? 'error' : 'warning',
      location: { file, line: pos.line, column: pos.col },
      path: '',
      message: `YAML: ${e.message.split('\n')[0]}`,
      hint: e.code === 'DUPLICATE_KEY' ? 'each key may appear once in a mapping; remove or rename the duplicate' : undefined,
    });
  }
  if (doc.errors.length > 0) return { diagnostics };
  return { source: { file, text, doc, lineCounter, data: doc.toJS({ maxAliasCount: 100 }) }, diagnostics };
}

/**
 * Where a JSON path points in the file. With `key`, the position of the mapping key rather
 * than its value (better for "unknown attribute"). Falls back to the nearest existing parent.
 */
export function locate(src: YamlSource, path: JsonPath, key = false): SourceLocation {
  let node: unknown = src.doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (key && seg === path[path.length - 1]) {
        offset = keyNode.range?.[0] ?? offset;
        node = undefined;
        break;
      }
      node = pair.value;
      offset = (pair.value as Node | null)?.range?.[0] ?? keyNode.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  const pos = src.lineCounter.linePos(offset);
  return { file: src.file, line: pos.line, column: pos.col };
}

export function pointer(path: JsonPath): string {
  return path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export function parsePointer(p: string): (string | number)[] {
  if (p === '') return [];
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
