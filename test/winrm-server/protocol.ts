/**
 * The test server's own copy of the WS-Management names and reply shapes, written from
 * windows.md section 1 / MS-WSMV rather than imported from the client, so a wrong constant in
 * the client cannot agree with itself.
 */
import { randomUUID } from 'node:crypto';
import { el, renderXml, type XmlNode } from '../../src/transport/winrm/xml.ts';

export const S = 'http://www.w3.org/2003/05/soap-envelope';
export const A = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
export const W = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd';
export const P = 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd';
export const RSP = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell';
export const X = 'http://schemas.xmlsoap.org/ws/2004/09/transfer';
export const F = 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault';
export const CMD_URI = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd';
export const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';
export const TERMINATE = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate';

export type Operation = 'create' | 'delete' | 'command' | 'send' | 'receive' | 'signal';

export const ACTIONS: Readonly<Record<string, Operation>> = {
  'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create': 'create',
  'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete': 'delete',
  'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command': 'command',
  'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send': 'send',
  'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive': 'receive',
  'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal': 'signal',
};

/** Header elements this server understands (anything else marked mustUnderstand="true" is a fault). */
export const KNOWN_HEADERS: ReadonlySet<string> = new Set(
  [
    [A, 'To'], [A, 'ReplyTo'], [A, 'MessageID'], [A, 'Action'], [W, 'MaxEnvelopeSize'], [W, 'Locale'], [P, 'DataLocale'],
    [W, 'OperationTimeout'], [W, 'ResourceURI'], [W, 'SelectorSet'], [W, 'OptionSet'], [P, 'SessionId'],
  ].map(([ns, local]) => `{${ns}}${local}`),
);

export const XMLNS = { 'xmlns:s': S, 'xmlns:a': A, 'xmlns:w': W, 'xmlns:p': P, 'xmlns:rsp': RSP, 'xmlns:x': X, 'xmlns:f': F };

export function replyEnvelope(action: string, relatesTo: string, body: XmlNode[]): string {
  const header = el(
    's:Header',
    {},
    el('a:Action', {}, action),
    el('a:MessageID', {}, `uuid:${randomUUID().toUpperCase()}`),
    el('a:To', {}, ANONYMOUS),
    el('a:RelatesTo', {}, relatesTo),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>${renderXml(el('s:Envelope', XMLNS, header, el('s:Body', {}, ...body)))}`;
}

export interface FaultSpec {
  /** s:Sender, s:Receiver or s:MustUnderstand. */
  readonly code: string;
  /** e.g. w:TimedOut; omitted for MustUnderstand. */
  readonly subcode?: string;
  readonly reason: string;
  /** f:WSManFault Code; omitted where the documents give none. */
  readonly wsmanCode?: number;
  /** The fault action (default the WS-Management fault action). */
  readonly action?: string;
}

export const WSMAN_FAULT_ACTION = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault';
export const ADDRESSING_FAULT_ACTION = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault';

export function faultEnvelope(relatesTo: string, f: FaultSpec): string {
  const code = el('s:Code', {}, el('s:Value', {}, f.code), ...(f.subcode ? [el('s:Subcode', {}, el('s:Value', {}, f.subcode))] : []));
  const detail = el(
    's:Detail',
    {},
    el('f:WSManFault', { 'xmlns:f': F, Code: f.wsmanCode === undefined ? undefined : String(f.wsmanCode), Machine: 'winrm-test-server' }, el('f:Message', {}, f.reason)),
  );
  const fault = el('s:Fault', {}, code, el('s:Reason', {}, el('s:Text', { 'xml:lang': 'en-US' }, f.reason)), detail);
  return replyEnvelope(f.action ?? WSMAN_FAULT_ACTION, relatesTo, [fault]);
}

/** The faults the tests can inject, with the codes windows.md gives. */
export const INJECTABLE = {
  timeout: { code: 's:Receiver', subcode: 'w:TimedOut', reason: 'The WS-Management service cannot complete the operation within the time specified in OperationTimeout.', wsmanCode: 2150858793 },
  busy: { code: 's:Receiver', subcode: 'w:InternalError', reason: 'The requested resource is in use.', wsmanCode: 170 },
  commandLineTooLong: { code: 's:Receiver', subcode: 'w:InternalError', reason: 'The filename or extension is too long.', wsmanCode: 2147942606 },
  shellQuota: { code: 's:Receiver', subcode: 'w:InternalError', reason: 'The WS-Management service cannot process the request. This user is allowed a maximum number of concurrent shells, which has been exceeded.', wsmanCode: 2147943418 },
  tooManyCommands: { code: 's:Receiver', subcode: 'w:InternalError', reason: 'The WS-Management service cannot process the request because the shell has reached its maximum number of commands.', wsmanCode: 2150859174 },
  shellClosed: { code: 's:Sender', subcode: 'w:InvalidSelectors', reason: 'The request for the Windows Remote Shell with ShellId failed because the shell was not found on the server.', wsmanCode: 2150858843 },
} as const satisfies Record<string, FaultSpec>;

export type InjectableFault = keyof typeof INJECTABLE;
