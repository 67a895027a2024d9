/** Reading a parsed HTML document as a person reads it: the visible text, and the elements. */
import type { Element, Node } from '@xmldom/xmldom';

const BLOCKS = new Set(['p', 'div', 'section', 'table', 'tr', 'td', 'th', 'pre', 'h1', 'h2', 'h3', 'h4', 'li', 'br']);

export const tagOf = (e: Element): string => (e.localName ?? e.tagName).toLowerCase();

function rawText(n: Node): string {
  if (n.nodeType === n.TEXT_NODE) return n.nodeValue ?? '';
  if (n.nodeType !== n.ELEMENT_NODE) return '';
  const tag = tagOf(n as Element);
  if (tag === 'style' || tag === 'script' || tag === 'head') return '';
  const inner = Array.from(n.childNodes).map(rawText).join('');
  return BLOCKS.has(tag) ? ` ${inner} ` : inner;
}

/** Text without style or script content, block elements apart, whitespace collapsed. */
export function visibleText(n: Node): string {
  return rawText(n).replace(/\s+/g, ' ').trim();
}

/** Every element under n, in document order. */
export function elementsOf(n: Node, out: Element[] = []): Element[] {
  for (const c of Array.from(n.childNodes)) {
    if (c.nodeType === c.ELEMENT_NODE) {
      out.push(c as Element);
      elementsOf(c, out);
    }
  }
  return out;
}

/** The body rows of the table with the given class, each cell's text. */
export function tableRows(root: Node, className: string, section: 'tbody' | 'all' = 'tbody'): string[][] {
  const table = elementsOf(root).find((e) => tagOf(e) === 'table' && (e.getAttribute('class') ?? '').split(' ').includes(className));
  if (!table) return [];
  const rows = elementsOf(table).filter((e) => tagOf(e) === 'tr' && (section === 'all' || (e.parentNode !== null && tagOf(e.parentNode as Element) === 'tbody')));
  return rows.map((tr) => elementsOf(tr).filter((c) => ['td', 'th'].includes(tagOf(c))).map(visibleText));
}
