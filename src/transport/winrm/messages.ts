/** Bodies of the cmd-shell actions (MS-WSMV 3.1.4.x) and readers for their replies. */
import type { Element } from '@xmldom/xmldom';
import { childNS, childrenNS, descendantsNS, pathNS, textOf } from './dom.ts';
import { COMMAND_STATE, NS, SIGNAL_TERMINATE } from './namespaces.ts';
import { WsmanProtocolError, type Reply } from './reply.ts';
import { el, type XmlElement } from './xml.ts';

export function createShellBody(o: { workingDirectory?: string; environment?: Readonly<Record<string, string>>; idleTimeout?: string } = {}): XmlElement {
  return el(
    'rsp:Shell',
    {},
    el('rsp:InputStreams', {}, 'stdin'),
    el('rsp:OutputStreams', {}, 'stdout stderr'),
    ...(o.workingDirectory !== undefined ? [el('rsp:WorkingDirectory', {}, o.workingDirectory)] : []),
    ...(o.environment ? [el('rsp:Environment', {}, ...Object.entries(o.environment).map(([k, v]) => el('rsp:Variable', { Name: k }, v)))] : []),
    ...(o.idleTimeout !== undefined ? [el('rsp:IdleTimeOut', {}, o.idleTimeout)] : []),
  );
}

export function commandBody(command: string, args: readonly string[]): XmlElement {
  return el('rsp:CommandLine', {}, el('rsp:Command', {}, command), ...args.map((a) => el('rsp:Arguments', {}, a)));
}

export function sendBody(commandId: string, chunk: Buffer, end: boolean): XmlElement {
  return el('rsp:Send', {}, el('rsp:Stream', { Name: 'stdin', CommandId: commandId, End: end ? 'true' : undefined }, chunk.toString('base64')));
}

export function receiveBody(commandId: string): XmlElement {
  return el('rsp:Receive', {}, el('rsp:DesiredStream', { CommandId: commandId }, 'stdout stderr'));
}

export function signalBody(commandId: string, code: string = SIGNAL_TERMINATE): XmlElement {
  return el('rsp:Signal', { CommandId: commandId }, el('rsp:Code', {}, code));
}

/** The ShellId of a Create reply (x:ResourceCreated's selector, or rsp:Shell/rsp:ShellId). */
export function readShellId(reply: Reply): string {
  const created = childNS(reply.body, NS.x, 'ResourceCreated');
  const selector = created && descendantsNS(created, NS.w, 'Selector').find((s) => s.getAttribute('Name') === 'ShellId');
  const id = textOf(selector)?.trim() || textOf(pathNS(reply.body, [NS.rsp, 'Shell'], [NS.rsp, 'ShellId']))?.trim();
  if (!id) throw new WsmanProtocolError('the Create reply names no ShellId');
  return id;
}

export function readCommandId(reply: Reply): string {
  const id = textOf(pathNS(reply.body, [NS.rsp, 'CommandResponse'], [NS.rsp, 'CommandId']))?.trim();
  if (!id) throw new WsmanProtocolError('the Command reply names no CommandId');
  return id;
}

export interface ReceiveChunk {
  readonly stdout: Buffer[];
  readonly stderr: Buffer[];
  readonly done: boolean;
  readonly exitCode: number | undefined;
}

/** One Receive reply: base64 chunks per stream (decoded to bytes only) and the command state. */
export function readReceive(reply: Reply, commandId: string): ReceiveChunk {
  const response = childNS(reply.body, NS.rsp, 'ReceiveResponse');
  if (!response) throw new WsmanProtocolError('the Receive reply has no rsp:ReceiveResponse');
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  for (const s of childrenNS(response, NS.rsp, 'Stream')) {
    const cid = s.getAttribute('CommandId');
    if (cid && cid !== commandId) continue;
    const data = Buffer.from((s.textContent ?? '').replace(/\s+/g, ''), 'base64');
    const name = s.getAttribute('Name');
    if (name === 'stdout') stdout.push(data);
    else if (name === 'stderr') stderr.push(data);
  }
  const state: Element | undefined = childNS(response, NS.rsp, 'CommandState');
  const stateUri = state?.getAttribute('State') ?? '';
  const done = stateUri === COMMAND_STATE.done;
  let exitCode: number | undefined;
  if (done) {
    const raw = textOf(state && childNS(state, NS.rsp, 'ExitCode'))?.trim();
    // Exit codes arrive as unsigned 32-bit or signed decimal; keep the signed view (e.g. -1).
    if (raw && /^-?\d+$/.test(raw)) exitCode = Number(raw) > 0x7fffffff ? Number(raw) - 0x100000000 : Number(raw);
  }
  return { stdout, stderr, done, exitCode };
}
