/** Reads a WS-Management reply: faults become WsmanFault, and a reply must relate to the request it answers. */
import type { Document, Element } from '@xmldom/xmldom';
import { parseXml, pathNS, textOf } from './dom.ts';
import { readFault } from './fault.ts';
import { NS } from './namespaces.ts';

export interface Reply {
  readonly doc: Document;
  readonly action: string;
  readonly body: Element;
}

/** A reply that is not a WS-Management answer to our request (a protocol error, not a fault). */
export class WsmanProtocolError extends Error {
  override name = 'WsmanProtocolError';
}

export function parseReply(text: string, messageId: string): Reply {
  let doc: Document;
  try {
    doc = parseXml(text);
  } catch (err) {
    throw new WsmanProtocolError(`the reply is not XML (${err instanceof Error ? err.message : String(err)})`);
  }
  const fault = readFault(doc);
  if (fault) throw fault;
  const header = pathNS(doc, [NS.s, 'Envelope'], [NS.s, 'Header']);
  const body = pathNS(doc, [NS.s, 'Envelope'], [NS.s, 'Body']);
  if (!header || !body) throw new WsmanProtocolError('the reply is not a SOAP 1.2 envelope with a Header and a Body');
  const relatesTo = textOf(pathNS(header, [NS.a, 'RelatesTo']))?.trim();
  if (relatesTo !== messageId) {
    throw new WsmanProtocolError(`the reply relates to ${relatesTo ?? '(nothing)'}, not to the request ${messageId}`);
  }
  return { doc, action: textOf(pathNS(header, [NS.a, 'Action']))?.trim() ?? '', body };
}
