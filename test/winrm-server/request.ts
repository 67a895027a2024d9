/** Strict reading of one request envelope: required headers, mustUnderstand, action, ResourceURI. */
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { A, ACTIONS, CMD_URI, KNOWN_HEADERS, P, S, W, type FaultSpec, type Operation } from './protocol.ts';

export interface WsmanRequest {
  readonly messageId: string;
  readonly operation: Operation;
  readonly operationTimeoutMs: number;
  readonly selectors: ReadonlyMap<string, string>;
  readonly options: ReadonlyMap<string, string>;
  readonly body: Element;
}

/** A fault together with the MessageID it answers ('' when the request had none). */
export class RequestFault extends Error {
  constructor(readonly spec: FaultSpec, readonly relatesTo: string) {
    super(spec.reason);
  }
}

export function kids(parent: Element | Document, ns?: string, local?: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType !== 1) continue;
    const e = n as Element;
    if ((ns === undefined || e.namespaceURI === ns) && (local === undefined || e.localName === local)) out.push(e);
  }
  return out;
}

export function kid(parent: Element | Document, ns: string, local: string): Element | undefined {
  return kids(parent, ns, local)[0];
}

const sender = (subcode: string, reason: string, wsmanCode?: number): FaultSpec => ({ code: 's:Sender', subcode, reason, wsmanCode });

function parseDuration(text: string): number | undefined {
  const m = /^PT(\d+(?:\.\d+)?)S$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

export function readRequest(xml: string): WsmanRequest {
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') throw new Error(msg);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (err) {
    throw new RequestFault(sender('w:SchemaValidationError', `The SOAP XML in the message does not match the corresponding XML schema definition (${String(err)}).`), '');
  }
  const env = doc.documentElement;
  if (!env || env.namespaceURI !== S || env.localName !== 'Envelope') throw new RequestFault({ code: 's:VersionMismatch', reason: 'Not a SOAP 1.2 envelope.' }, '');
  const header = kid(env, S, 'Header');
  const body = kid(env, S, 'Body');
  if (!header || !body) throw new RequestFault(sender('w:SchemaValidationError', 'The envelope needs a Header and a Body.'), '');
  const text = (ns: string, local: string): string | undefined => {
    const e = kid(header, ns, local);
    return e ? (e.textContent ?? '').trim() : undefined;
  };
  const messageId = text(A, 'MessageID');
  if (!messageId) throw new RequestFault({ ...sender('a:MessageInformationHeaderRequired', 'The a:MessageID header is missing.'), action: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault' }, '');
  const fault = (f: FaultSpec): RequestFault => new RequestFault(f, messageId);

  for (const h of kids(header)) {
    const mu = h.getAttributeNS(S, 'mustUnderstand');
    if ((mu === 'true' || mu === '1') && !KNOWN_HEADERS.has(`{${h.namespaceURI ?? ''}}${h.localName}`)) {
      throw fault({ code: 's:MustUnderstand', reason: `The header ${h.tagName} is not understood.` });
    }
  }
  // The headers windows.md lists as mustUnderstand="true" must be present and say so.
  const must = (ns: string, local: string, e: Element | undefined = kid(header, ns, local)): Element => {
    if (!e) throw fault(sender('w:InvalidHeader', `The ${local} header is missing.`));
    const mu = e.getAttributeNS(S, 'mustUnderstand');
    if (mu !== 'true' && mu !== '1') throw fault(sender('w:InvalidHeader', `The ${local} header must carry mustUnderstand="true".`));
    return e;
  };
  const replyTo = kid(header, A, 'ReplyTo');
  if (!replyTo) throw fault(sender('a:MessageInformationHeaderRequired', 'The ReplyTo header is missing.'));
  must(A, 'Address', kid(replyTo, A, 'Address'));
  const maxEnvelope = must(W, 'MaxEnvelopeSize');
  if (!/^\d+$/.test((maxEnvelope.textContent ?? '').trim())) throw fault(sender('w:InvalidHeader', 'MaxEnvelopeSize is not a number.'));
  const action = (must(A, 'Action').textContent ?? '').trim();
  const operation = ACTIONS[action];
  if (!operation) throw fault({ ...sender('a:ActionNotSupported', `The action ${action} is not supported by the service.`), action: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault' });
  const resourceUri = (must(W, 'ResourceURI').textContent ?? '').trim();
  if (resourceUri !== CMD_URI) throw fault(sender('w:DestinationUnreachable', `The WS-Management service cannot process the request because the resource URI ${resourceUri} is not supported.`, 2150858778));
  for (const local of ['Locale']) {
    const e = kid(header, W, local);
    if (e && e.getAttributeNS(S, 'mustUnderstand') === 'true') throw fault(sender('w:InvalidHeader', `${local} must be mustUnderstand="false".`));
  }
  const dataLocale = kid(header, P, 'DataLocale');
  if (dataLocale && dataLocale.getAttributeNS(S, 'mustUnderstand') === 'true') throw fault(sender('w:InvalidHeader', 'DataLocale must be mustUnderstand="false".'));
  const timeoutText = text(W, 'OperationTimeout');
  const operationTimeoutMs = timeoutText === undefined ? 60000 : parseDuration(timeoutText);
  if (operationTimeoutMs === undefined) throw fault(sender('w:InvalidHeader', `OperationTimeout ${timeoutText ?? ''} is not a duration.`));

  const selectors = new Map<string, string>();
  const selectorSet = kid(header, W, 'SelectorSet');
  for (const s of selectorSet ? kids(selectorSet, W, 'Selector') : []) selectors.set(s.getAttribute('Name') ?? '', (s.textContent ?? '').trim());
  const options = new Map<string, string>();
  const optionSet = kid(header, W, 'OptionSet');
  for (const o of optionSet ? kids(optionSet, W, 'Option') : []) options.set(o.getAttribute('Name') ?? '', (o.textContent ?? '').trim());
  return { messageId, operation, operationTimeoutMs, selectors, options, body };
}
