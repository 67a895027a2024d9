/** WS-Management names from MS-WSMV and DSP0226: namespaces, action and resource URIs, fault codes. */

export const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  w: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  p: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  rsp: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  x: 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
  f: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

export type Prefix = Exclude<keyof typeof NS, 'xml'>;

export const ANONYMOUS = `${NS.a}/role/anonymous`;
export const CMD_RESOURCE_URI = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd';

export const ACTION = {
  create: `${NS.x}/Create`,
  delete: `${NS.x}/Delete`,
  command: `${NS.rsp}/Command`,
  send: `${NS.rsp}/Send`,
  receive: `${NS.rsp}/Receive`,
  signal: `${NS.rsp}/Signal`,
} as const;

/** Reply actions the server answers with (the request action + "Response"). */
export const RESPONSE_ACTION = {
  create: `${NS.x}/CreateResponse`,
  delete: `${NS.x}/DeleteResponse`,
  command: `${NS.rsp}/CommandResponse`,
  send: `${NS.rsp}/SendResponse`,
  receive: `${NS.rsp}/ReceiveResponse`,
  signal: `${NS.rsp}/SignalResponse`,
} as const;

export const FAULT_ACTION = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault';

export const COMMAND_STATE = {
  running: `${NS.rsp}/CommandState/Running`,
  done: `${NS.rsp}/CommandState/Done`,
  pending: `${NS.rsp}/CommandState/Pending`,
} as const;

export const SIGNAL_TERMINATE = `${NS.rsp}/signal/terminate`;

/** WSManFault Code values the client acts on. */
export const FAULT_CODE = {
  /** Receive found no output within OperationTimeout: send Receive again. */
  operationTimeout: 2150858793,
  /** The shell was closed (idle timeout, server restart): create a new one. */
  shellClosed: 2150858843,
  /** Shell quota reached (e.g. MaxShellsPerUser). */
  shellQuota: 2147943418,
  /** Too many commands in the shell. */
  tooManyCommands: 2150859174,
  /** ERROR_BUSY: retry after a pause. */
  busy: 170,
  /** "The filename or extension is too long": the command line passed cmd.exe's limit. */
  commandLineTooLong: 2147942606,
} as const;

/** Shell-level faults after which a fresh shell may run the command again (when nothing was sent yet). */
export const SHELL_RESET_CODES: ReadonlySet<number> = new Set([FAULT_CODE.shellClosed, FAULT_CODE.shellQuota, FAULT_CODE.tooManyCommands]);

export const DEFAULT_MAX_ENVELOPE_SIZE = 153600;
