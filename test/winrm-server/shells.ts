/**
 * The cmd-shell state machine: ShellId -> CommandId -> stdin, then the scripted host's output as
 * queued base64 chunks. The first Receive of a command always answers Running; Done (with the
 * exit code) comes with the last chunk.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { el, type XmlNode } from '../../src/transport/winrm/xml.ts';
import { ANONYMOUS, INJECTABLE, replyEnvelope, RSP, TERMINATE, type FaultSpec } from './protocol.ts';
import { kid, kids, RequestFault, type WsmanRequest } from './request.ts';
import { CommandLineTooLong, type HostOutput, type ScriptedHost } from './scripted-host.ts';

interface Chunk {
  readonly stream: 'stdout' | 'stderr';
  readonly data: Buffer;
}

interface CommandState {
  readonly id: string;
  readonly commandLine: string;
  readonly args: string[];
  readonly stdin: Buffer[];
  stdinEnded: boolean;
  run: Promise<HostOutput> | undefined;
  output: { chunks: Chunk[]; exitCode: number } | undefined;
  receives: number;
  done: boolean;
}

interface ShellState {
  readonly id: string;
  readonly options: ReadonlyMap<string, string>;
  readonly commands: Map<string, CommandState>;
}

/** Everything the server saw, in order, for tests to check the client's manners. */
export interface ShellEvent {
  readonly operation: string;
  readonly shellId?: string;
  readonly commandId?: string;
  readonly detail?: string;
}

export interface ShellMachineOptions {
  readonly host: ScriptedHost;
  /** Output bytes per rsp:Stream element (small, so multi-byte characters split across chunks). */
  readonly chunkBytes: number;
  /** rsp:Stream elements per Receive reply. */
  readonly chunksPerReceive: number;
  /** Most concurrent shells (the quota). */
  readonly maxShells: number;
}

const SHELL_URI = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd';
const STATE_RUNNING = `${RSP}/CommandState/Running`;
const STATE_DONE = `${RSP}/CommandState/Done`;

export class ShellMachine {
  readonly shells = new Map<string, ShellState>();
  readonly events: ShellEvent[] = [];
  readonly #o: ShellMachineOptions;

  constructor(options: ShellMachineOptions) {
    this.#o = options;
  }

  /** The shells the server closed on its own (a shellClosed injection). */
  dropShell(id: string): void {
    this.shells.delete(id);
  }

  async handle(req: WsmanRequest): Promise<string> {
    const fault = (f: FaultSpec): RequestFault => new RequestFault(f, req.messageId);
    if (req.operation === 'create') return this.#create(req, fault);
    const shellId = req.selectors.get('ShellId');
    if (!shellId) throw fault({ code: 's:Sender', subcode: 'w:InvalidSelectors', reason: 'The ShellId selector is missing.' });
    const shell = this.shells.get(shellId);
    if (!shell) throw fault({ ...INJECTABLE.shellClosed, reason: `The request for the Windows Remote Shell with ShellId ${shellId} failed because the shell was not found on the server.` });
    switch (req.operation) {
      case 'delete':
        this.shells.delete(shellId);
        this.events.push({ operation: 'delete', shellId });
        return replyEnvelope('http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse', req.messageId, []);
      case 'command':
        return this.#command(req, shell, fault);
      case 'send':
        return this.#send(req, shell, fault);
      case 'receive':
        return this.#receive(req, shell, fault);
      case 'signal':
        return this.#signal(req, shell, fault);
    }
  }

  #create(req: WsmanRequest, fault: (f: FaultSpec) => RequestFault): string {
    const shellEl = kid(req.body, RSP, 'Shell');
    if (!shellEl) throw fault({ code: 's:Sender', subcode: 'w:SchemaValidationError', reason: 'Create needs an rsp:Shell body.' });
    const streams = (local: string): string => (kid(shellEl, RSP, local)?.textContent ?? '').trim();
    if (streams('InputStreams') !== 'stdin' || streams('OutputStreams') !== 'stdout stderr') {
      throw fault({ code: 's:Sender', subcode: 'w:InvalidParameter', reason: 'The shell streams must be stdin and "stdout stderr".' });
    }
    const codepage = req.options.get('WINRS_CODEPAGE');
    if (codepage !== undefined && !/^\d+$/.test(codepage)) throw fault({ code: 's:Sender', subcode: 'w:InvalidOptions', reason: 'WINRS_CODEPAGE must be a number.' });
    if (this.shells.size >= this.#o.maxShells) throw fault(INJECTABLE.shellQuota);
    const id = randomUUID().toUpperCase();
    this.shells.set(id, { id, options: req.options, commands: new Map() });
    this.events.push({ operation: 'create', shellId: id, detail: [...req.options].map(([k, v]) => `${k}=${v}`).join(' ') });
    const created = el(
      'x:ResourceCreated',
      {},
      el('a:Address', {}, ANONYMOUS),
      el('a:ReferenceParameters', {}, el('w:ResourceURI', {}, SHELL_URI), el('w:SelectorSet', {}, el('w:Selector', { Name: 'ShellId' }, id))),
    );
    return replyEnvelope('http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse', req.messageId, [created]);
  }

  #command(req: WsmanRequest, shell: ShellState, fault: (f: FaultSpec) => RequestFault): string {
    const line = kid(req.body, RSP, 'CommandLine');
    const command = line && kid(line, RSP, 'Command');
    if (!line || !command) throw fault({ code: 's:Sender', subcode: 'w:SchemaValidationError', reason: 'Command needs rsp:CommandLine/rsp:Command.' });
    const commandLine = (command.textContent ?? '').trim();
    const args = kids(line, RSP, 'Arguments').map((a) => a.textContent ?? '');
    const id = randomUUID().toUpperCase();
    shell.commands.set(id, { id, commandLine, args, stdin: [], stdinEnded: false, run: undefined, output: undefined, receives: 0, done: false });
    this.events.push({ operation: 'command', shellId: shell.id, commandId: id, detail: [commandLine, ...args].join(' ') });
    return replyEnvelope(`${RSP}/CommandResponse`, req.messageId, [el('rsp:CommandResponse', {}, el('rsp:CommandId', {}, id))]);
  }

  #commandOf(shell: ShellState, id: string | null, fault: (f: FaultSpec) => RequestFault): CommandState {
    const c = id ? shell.commands.get(id) : undefined;
    if (!c) throw fault({ code: 's:Sender', subcode: 'w:InvalidParameter', reason: `The command ${id ?? '(none)'} is not known in shell ${shell.id}.` });
    return c;
  }

  #send(req: WsmanRequest, shell: ShellState, fault: (f: FaultSpec) => RequestFault): string {
    const send = kid(req.body, RSP, 'Send');
    const streams = send ? kids(send, RSP, 'Stream') : [];
    if (streams.length === 0) throw fault({ code: 's:Sender', subcode: 'w:SchemaValidationError', reason: 'Send needs rsp:Send/rsp:Stream.' });
    for (const s of streams) {
      if (s.getAttribute('Name') !== 'stdin') throw fault({ code: 's:Sender', subcode: 'w:InvalidParameter', reason: 'Only the stdin stream can be sent.' });
      const c = this.#commandOf(shell, s.getAttribute('CommandId'), fault);
      if (c.stdinEnded) throw fault({ code: 's:Sender', subcode: 'w:InvalidParameter', reason: 'stdin was already closed (End="true").' });
      const text = (s.textContent ?? '').trim();
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw fault({ code: 's:Sender', subcode: 'w:InvalidParameter', reason: 'The stream is not base64.' });
      c.stdin.push(Buffer.from(text, 'base64'));
      const end = s.getAttribute('End');
      if (end === 'true' || end === '1') c.stdinEnded = true;
      this.events.push({ operation: 'send', shellId: shell.id, commandId: c.id, detail: `${text.length}${c.stdinEnded ? ' end' : ''}` });
    }
    return replyEnvelope(`${RSP}/SendResponse`, req.messageId, [el('rsp:SendResponse', {})]);
  }

  async #receive(req: WsmanRequest, shell: ShellState, fault: (f: FaultSpec) => RequestFault): Promise<string> {
    const desired = kid(kid(req.body, RSP, 'Receive') ?? req.body, RSP, 'DesiredStream');
    if (!desired) throw fault({ code: 's:Sender', subcode: 'w:SchemaValidationError', reason: 'Receive needs rsp:Receive/rsp:DesiredStream.' });
    const c = this.#commandOf(shell, desired.getAttribute('CommandId'), fault);
    this.events.push({ operation: 'receive', shellId: shell.id, commandId: c.id });
    if (c.done) throw fault({ code: 's:Sender', subcode: 'w:InvalidParameter', reason: 'The command has already completed and its output was received.' });
    const run = (c.run ??= this.#start(c));
    if (!c.output) {
      // Like the real service: no output within OperationTimeout answers TimedOut; the command keeps running.
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), req.operationTimeoutMs);
      });
      const out = await Promise.race([run, timedOut])
        .catch((err: unknown) => {
          if (err instanceof CommandLineTooLong) throw fault(INJECTABLE.commandLineTooLong);
          throw err;
        })
        .finally(() => clearTimeout(timer));
      if (out === 'timeout') throw fault(INJECTABLE.timeout);
      c.output = { chunks: chunk(out, this.#o.chunkBytes), exitCode: out.exitCode };
    }
    c.receives++;
    const batch = c.output.chunks.splice(0, this.#o.chunksPerReceive);
    const done = c.receives > 1 && c.output.chunks.length === 0;
    const remaining = (stream: string): boolean => c.output?.chunks.some((x) => x.stream === stream) ?? false;
    const streams: XmlNode[] = batch.map((x, i) => {
      const last = done && !batch.slice(i + 1).some((y) => y.stream === x.stream) && !remaining(x.stream);
      return el('rsp:Stream', { Name: x.stream, CommandId: c.id, End: last ? 'true' : undefined }, x.data.toString('base64'));
    });
    if (done) c.done = true;
    const state = el(
      'rsp:CommandState',
      { CommandId: c.id, State: done ? STATE_DONE : STATE_RUNNING },
      ...(done ? [el('rsp:ExitCode', {}, String(c.output.exitCode >>> 0))] : []),
    );
    return replyEnvelope(`${RSP}/ReceiveResponse`, req.messageId, [el('rsp:ReceiveResponse', {}, ...streams, state)]);
  }

  #start(c: CommandState): Promise<HostOutput> {
    return Promise.resolve().then(() => this.#o.host(c.commandLine, c.args, Buffer.concat(c.stdin)));
  }

  #signal(req: WsmanRequest, shell: ShellState, fault: (f: FaultSpec) => RequestFault): string {
    const signal = kid(req.body, RSP, 'Signal');
    const c = this.#commandOf(shell, signal?.getAttribute('CommandId') ?? null, fault);
    const code = (kid(signal as Element, RSP, 'Code')?.textContent ?? '').trim();
    if (code !== TERMINATE) throw fault({ code: 's:Sender', subcode: 'w:InvalidParameter', reason: `Unknown signal ${code}.` });
    this.events.push({ operation: 'signal', shellId: shell.id, commandId: c.id, detail: c.done ? 'after-done' : 'before-done' });
    shell.commands.delete(c.id);
    return replyEnvelope(`${RSP}/SignalResponse`, req.messageId, [el('rsp:SignalResponse', {})]);
  }
}

function chunk(out: HostOutput, size: number): Chunk[] {
  const chunks: Chunk[] = [];
  // Interleave the streams as a real host would deliver them, a piece of each in turn.
  const parts = { stdout: out.stdout, stderr: out.stderr };
  for (let off = 0; off < Math.max(out.stdout.length, out.stderr.length); off += size) {
    for (const stream of ['stdout', 'stderr'] as const) {
      const data = parts[stream].subarray(off, off + size);
      if (data.length) chunks.push({ stream, data });
    }
  }
  return chunks;
}
