/** Namespace-aware reading of WS-Management XML with @xmldom/xmldom; malformed XML is an error, never guessed at. */
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';

export function parseXml(text: string): Document {
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new Error(`malformed XML: ${message}`);
    },
  }).parseFromString(text, 'text/xml');
  if (!doc.documentElement) throw new Error('malformed XML: no root element');
  return doc;
}

/** Element children of `parent` with this namespace and local name, in document order. */
export function childrenNS(parent: Element | Document, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) {
      const e = n as Element;
      if (e.namespaceURI === ns && e.localName === local) out.push(e);
    }
  }
  return out;
}

export function childNS(parent: Element | Document, ns: string, local: string): Element | undefined {
  return childrenNS(parent, ns, local)[0];
}

/** Follows a path of [ns, local] steps through direct children. */
export function pathNS(parent: Element | Document, ...steps: readonly (readonly [string, string])[]): Element | undefined {
  let cur: Element | Document | undefined = parent;
  for (const [ns, local] of steps) {
    if (!cur) return undefined;
    cur = childNS(cur, ns, local);
  }
  return cur as Element | undefined;
}

/** Every descendant with this namespace and local name. */
export function descendantsNS(parent: Element | Document, ns: string, local: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(ns, local));
}

export function textOf(e: Element | undefined): string | undefined {
  return e ? (e.textContent ?? '') : undefined;
}

/** Element children of any name. */
export function elementChildren(parent: Element): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}
