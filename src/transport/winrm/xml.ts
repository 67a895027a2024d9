/**
 * A tiny XML writer: every text and attribute value is escaped here, so no caller ever splices a
 * value into markup. Element names are written by the caller as prefix:local (fixed names only).
 */

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string | undefined>>;
  readonly children: readonly XmlNode[];
}
export type XmlNode = XmlElement | string;

export function el(name: string, attrs: Record<string, string | undefined> = {}, ...children: XmlNode[]): XmlElement {
  return { name, attrs, children };
}

/** Escape text for element content and double-quoted attribute values alike. */
export function escapeXml(value: string): string {
  // Characters XML 1.0 cannot carry at all are refused rather than silently dropped.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(value)) {
    throw new Error('a value contains a control character that XML 1.0 cannot carry');
  }
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

export function renderXml(node: XmlNode): string {
  if (typeof node === 'string') return escapeXml(node);
  if (!/^[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?$/.test(node.name)) throw new Error(`bad XML element name ${node.name}`);
  const attrs = Object.entries(node.attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(v).replace(/\n/g, '&#10;')}"`)
    .join('');
  if (node.children.length === 0) return `<${node.name}${attrs}/>`;
  return `<${node.name}${attrs}>${node.children.map(renderXml).join('')}</${node.name}>`;
}
