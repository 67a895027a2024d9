/** Builds WS-Management request envelopes (MS-WSMV 2.2.4): the shared header plus an action body. */
import { randomUUID } from 'node:crypto';
import { ANONYMOUS, DEFAULT_MAX_ENVELOPE_SIZE, NS, type Prefix } from './namespaces.ts';
import { el, renderXml, type XmlNode } from './xml.ts';

export interface EnvelopeRequest {
  readonly to: string;
  readonly action: string;
  readonly resourceUri: string;
  /** ISO 8601 duration, e.g. PT20S. */
  readonly operationTimeout: string;
  readonly maxEnvelopeSize?: number;
  readonly selectors?: Readonly<Record<string, string>>;
  readonly options?: Readonly<Record<string, string>>;
  readonly body?: XmlNode;
  /** Default: a fresh uuid. */
  readonly messageId?: string;
}

const MUST = { 's:mustUnderstand': 'true' };
const xmlns = Object.fromEntries((Object.keys(NS) as (keyof typeof NS)[]).filter((k): k is Prefix => k !== 'xml').map((k) => [`xmlns:${k}`, NS[k]]));

export function newMessageId(): string {
  return `uuid:${randomUUID().toUpperCase()}`;
}

/** Returns the envelope text and the MessageID the reply must relate to. */
export function buildEnvelope(req: EnvelopeRequest): { xml: string; messageId: string } {
  const messageId = req.messageId ?? newMessageId();
  const header: XmlNode[] = [
    el('a:To', {}, req.to),
    el('a:ReplyTo', {}, el('a:Address', MUST, ANONYMOUS)),
    el('w:MaxEnvelopeSize', MUST, String(req.maxEnvelopeSize ?? DEFAULT_MAX_ENVELOPE_SIZE)),
    el('a:MessageID', {}, messageId),
    el('w:Locale', { 'xml:lang': 'en-US', 's:mustUnderstand': 'false' }),
    el('p:DataLocale', { 'xml:lang': 'en-US', 's:mustUnderstand': 'false' }),
    el('w:OperationTimeout', {}, req.operationTimeout),
    el('w:ResourceURI', MUST, req.resourceUri),
    el('a:Action', MUST, req.action),
  ];
  if (req.selectors && Object.keys(req.selectors).length > 0) {
    header.push(el('w:SelectorSet', {}, ...Object.entries(req.selectors).map(([name, v]) => el('w:Selector', { Name: name }, v))));
  }
  if (req.options && Object.keys(req.options).length > 0) {
    header.push(el('w:OptionSet', {}, ...Object.entries(req.options).map(([name, v]) => el('w:Option', { Name: name }, v))));
  }
  const envelope = el('s:Envelope', xmlns, el('s:Header', {}, ...header), el('s:Body', {}, ...(req.body ? [req.body] : [])));
  return { xml: `<?xml version="1.0" encoding="UTF-8"?>${renderXml(envelope)}`, messageId };
}
