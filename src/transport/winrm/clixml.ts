/**
 * PowerShell writes its error stream as CLIXML when stderr is redirected: `#< CLIXML` then one
 * or more <Objs> documents. Keeps the <S S="Error"> strings (decoding _xHHHH_ escapes, which are
 * UTF-16 code units, surrogate pairs included) and drops progress records.
 */
import type { Element } from '@xmldom/xmldom';
import { descendantsNS, elementChildren, parseXml } from './dom.ts';

const PS_NS = 'http://schemas.microsoft.com/powershell/2004/04';
const MARKER = '#< CLIXML';

/** `_xHHHH_` escapes to text; runs of them are joined first so surrogate pairs become one character. */
export function decodeClixmlString(s: string): string {
  return s.replace(/(?:_x[0-9A-Fa-f]{4}_)+/g, (run) => {
    const units = run.match(/_x([0-9A-Fa-f]{4})_/g)?.map((u) => parseInt(u.slice(2, 6), 16)) ?? [];
    return String.fromCharCode(...units);
  });
}

export function isClixml(text: string): boolean {
  return text.trimStart().startsWith(MARKER);
}

/**
 * The readable text of a CLIXML error stream; text that is not CLIXML is returned as it is.
 * Error lines are joined as PowerShell would print them (their own newlines are kept).
 */
export function decodeClixml(text: string): string {
  if (!isClixml(text)) return text;
  const rest = text.trimStart().slice(MARKER.length);
  const out: string[] = [];
  for (const block of rest.match(/<Objs\b[\s\S]*?<\/Objs>/g) ?? []) {
    let doc;
    try {
      doc = parseXml(block);
    } catch {
      out.push(block);
      continue;
    }
    const root = doc.documentElement;
    if (!root) continue;
    for (const obj of elementChildren(root)) collect(obj, out);
  }
  return out.join('');
}

function collect(node: Element, out: string[]): void {
  if (node.namespaceURI !== PS_NS) return;
  // Progress records (Write-Progress) are noise on stderr.
  if (node.localName === 'Obj' && node.getAttribute('S') === 'progress') return;
  if (node.localName === 'S' && node.getAttribute('S') === 'Error') {
    out.push(decodeClixmlString(node.textContent ?? ''));
    return;
  }
  if (node.localName === 'Obj' && node.getAttribute('S') === 'Error') {
    // An ErrorRecord object: its ToString is the message.
    const toString = descendantsNS(node, PS_NS, 'ToString')[0];
    const text = toString ? decodeClixmlString(toString.textContent ?? '') : '';
    if (text) out.push(/\n$/.test(text) ? text : `${text}\n`);
    return;
  }
}

/** A PowerShell error stream as readable bytes: CLIXML decoded, anything else as it came. */
export function decodeStderr(stderr: Buffer): Buffer {
  const text = stderr.toString('utf8');
  return isClixml(text) ? Buffer.from(decodeClixml(text), 'utf8') : stderr;
}
