/** SOAP faults from WS-Management, typed (s:Code, s:Subcode, s:Reason, f:WSManFault@Code). */
import type { Document } from '@xmldom/xmldom';
import { childNS, pathNS, textOf } from './dom.ts';
import { NS } from './namespaces.ts';

export class WsmanFault extends Error {
  override name = 'WsmanFault';
  constructor(
    /** s:Code/s:Value, e.g. s:Receiver. */
    readonly code: string,
    /** s:Subcode/s:Value, e.g. w:TimedOut. */
    readonly subcode: string | undefined,
    readonly reason: string,
    /** f:WSManFault Code (a Windows error or HRESULT as an unsigned number). */
    readonly wsmanCode: number | undefined,
    /** f:WSManFault/f:Message text, when it differs from the reason. */
    readonly detail?: string,
  ) {
    super(`WS-Management fault ${subcode ?? code}${wsmanCode !== undefined ? ` (code ${wsmanCode})` : ''}: ${reason}`);
  }
}

/** The fault in a reply, if it is one. */
export function readFault(doc: Document): WsmanFault | undefined {
  const body = pathNS(doc, [NS.s, 'Envelope'], [NS.s, 'Body']);
  const fault = body && childNS(body, NS.s, 'Fault');
  if (!fault) return undefined;
  const code = textOf(pathNS(fault, [NS.s, 'Code'], [NS.s, 'Value']))?.trim() ?? '';
  const subcode = textOf(pathNS(fault, [NS.s, 'Code'], [NS.s, 'Subcode'], [NS.s, 'Value']))?.trim();
  const reason = textOf(pathNS(fault, [NS.s, 'Reason'], [NS.s, 'Text']))?.trim() ?? '';
  const wsmanFault = pathNS(fault, [NS.s, 'Detail'], [NS.f, 'WSManFault']);
  const rawCode = wsmanFault?.getAttribute('Code');
  const wsmanCode = rawCode && /^\d+$/.test(rawCode) ? Number(rawCode) : undefined;
  const message = textOf(wsmanFault && childNS(wsmanFault, NS.f, 'Message'))?.trim();
  return new WsmanFault(code, subcode || undefined, reason || message || 'no reason given', wsmanCode, message && message !== reason ? message : undefined);
}
