/**
 * A remote cmd shell over WS-Management: create once, run commands (stdin in chunks, receive
 * loop until Done), delete at the end. Retries what the protocol says is retryable: Receive
 * timeouts, ERROR_BUSY, and shell resets (recreate and rerun, only before any stdin was sent).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandResult } from '../../core/types.ts';
import { ConnectionError } from '../transport.ts';
import { buildEnvelope } from './envelope.ts';
import { WsmanFault } from './fault.ts';
import { WsmanHttpError, type WsmanHttp } from './http.ts';
import { commandBody, createShellBody, readCommandId, readReceive, readShellId, receiveBody, sendBody, signalBody } from './messages.ts';
import { ACTION, CMD_RESOURCE_URI, FAULT_CODE, SHELL_RESET_CODES } from './namespaces.ts';
import { parseReply, WsmanProtocolError, type Reply } from './reply.ts';
import type { XmlNode } from './xml.ts';

export interface WinrmShellOptions {
  readonly host: string;
  readonly http: WsmanHttp;
  /** Seconds the server may hold a Receive before answering TimedOut. */
  readonly operationTimeoutS: number;
  readonly maxEnvelopeSize: number;
  /** Pause before retrying an ERROR_BUSY answer (default 1000 ms). */
  readonly busyRetryDelayMs?: number;
  /** How many times one request is retried after ERROR_BUSY (default 5). */
  readonly busyRetries?: number;
  /** Raw stdin bytes per Send (default 100 KB; base64 grows it by a third). */
  readonly stdinChunkBytes?: number;
  readonly environment?: Readonly<Record<string, string>>;
}

export interface RunCommandOptions {
  readonly signal?: AbortSignal;
}

const SHELL_RESETS_PER_COMMAND = 2;

export class WinrmShell {
  readonly #o: WinrmShellOptions;
  #shellId: string | undefined;
  /** How many shells this client created (tests check reuse and recreation). */
  shellsCreated = 0;

  constructor(options: WinrmShellOptions) {
    this.#o = options;
  }

  get shellId(): string | undefined {
    return this.#shellId;
  }

  /** Creates the shell unless one is open; errors name the host and the fix. */
  async open(): Promise<string> {
    try {
      return await this.#open();
    } catch (err) {
      throw this.#asError(err);
    }
  }

  async #open(): Promise<string> {
    if (this.#shellId) return this.#shellId;
    const reply = await this.#call('create', ACTION.create, undefined, createShellBody({ environment: this.#o.environment }), true, {
      WINRS_NOPROFILE: 'TRUE',
      WINRS_CODEPAGE: '65001',
    });
    this.#shellId = readShellId(reply);
    this.shellsCreated++;
    return this.#shellId;
  }

  /** Runs one command in the shell with `stdin` as its whole input; output bytes are joined per stream. */
  async run(command: string, args: readonly string[], stdin: Buffer, options: RunCommandOptions = {}): Promise<CommandResult> {
    for (let resets = 0; ; resets++) {
      let stdinSent = false;
      try {
        const shellId = await this.#open();
        options.signal?.throwIfAborted();
        const commandId = readCommandId(
          await this.#call('command', ACTION.command, shellId, commandBody(command, args), false, {
            WINRS_CONSOLEMODE_STDIN: stdin.length > 0 ? 'FALSE' : 'TRUE',
            WINRS_SKIP_CMD_SHELL: 'FALSE',
          }),
        );
        const chunk = this.#o.stdinChunkBytes ?? 100 * 1024;
        for (let off = 0; off < stdin.length; off += chunk) {
          options.signal?.throwIfAborted();
          const end = off + chunk >= stdin.length;
          stdinSent = true;
          await this.#call('send', ACTION.send, shellId, sendBody(commandId, stdin.subarray(off, off + chunk), end), false);
        }
        return await this.#receiveAll(shellId, commandId, options);
      } catch (err) {
        if (err instanceof WsmanFault && err.wsmanCode !== undefined && SHELL_RESET_CODES.has(err.wsmanCode)) {
          // The shell is gone or full: forget it (a best-effort delete frees quota) and start over.
          await this.#discardShell();
          if (!stdinSent && resets < SHELL_RESETS_PER_COMMAND) continue;
          throw this.#error(
            err,
            stdinSent ? 'the WinRM shell was reset after the script had started receiving input, so it was not run again' : 'the WinRM shell kept being reset',
            'run again; if it repeats, raise MaxShellsPerUser / MaxConcurrentOperationsPerUser (winrm get winrm/config/winrs) or close other sessions',
          );
        }
        throw this.#asError(err);
      }
    }
  }

  /** Deletes the shell; errors are reported, the shell is forgotten either way. */
  async close(): Promise<void> {
    const shellId = this.#shellId;
    this.#shellId = undefined;
    if (!shellId) return;
    try {
      await this.#call('delete', ACTION.delete, shellId, undefined, true);
    } catch (err) {
      throw this.#asError(err);
    }
  }

  async #discardShell(): Promise<void> {
    const shellId = this.#shellId;
    this.#shellId = undefined;
    if (!shellId) return;
    try {
      await this.#call('delete', ACTION.delete, shellId, undefined, true);
    } catch {
      // The shell is already gone on the server; nothing more to free.
    }
  }

  async #receiveAll(shellId: string, commandId: string, options: RunCommandOptions): Promise<CommandResult> {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let signalled = false;
    const terminate = async (): Promise<void> => {
      if (signalled) return;
      signalled = true;
      await this.#call('signal', ACTION.signal, shellId, signalBody(commandId), true);
    };
    try {
      for (;;) {
        options.signal?.throwIfAborted();
        let reply: Reply;
        try {
          reply = await this.#call('receive', ACTION.receive, shellId, receiveBody(commandId), true, { WSMAN_CMDSHELL_OPTION_KEEPALIVE: 'TRUE' });
        } catch (err) {
          // No output within OperationTimeout: the command still runs; ask again.
          if (err instanceof WsmanFault && (err.wsmanCode === FAULT_CODE.operationTimeout || /TimedOut$/.test(err.subcode ?? ''))) continue;
          throw err;
        }
        const r = readReceive(reply, commandId);
        stdout.push(...r.stdout);
        stderr.push(...r.stderr);
        if (r.done) {
          if (r.exitCode === undefined) throw new WsmanProtocolError('the command is Done but the reply has no exit code');
          await terminate();
          return { code: r.exitCode, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
        }
      }
    } catch (err) {
      // Stopped by the caller (checked between requests, so within one OperationTimeout): end the command on the host.
      if (!signalled && options.signal?.aborted) await terminate().catch(() => undefined);
      throw err;
    }
  }

  /** One request with ERROR_BUSY retried after a pause. */
  async #call(label: string, action: string, shellId: string | undefined, body: XmlNode | undefined, resendable: boolean, options?: Record<string, string>): Promise<Reply> {
    const retries = this.#o.busyRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const { xml, messageId } = buildEnvelope({
        to: this.#o.http.url,
        action,
        resourceUri: CMD_RESOURCE_URI,
        operationTimeout: `PT${this.#o.operationTimeoutS}S`,
        maxEnvelopeSize: this.#o.maxEnvelopeSize,
        selectors: shellId ? { ShellId: shellId } : undefined,
        options,
        body,
      });
      try {
        return parseReply(await this.#o.http.post(xml, resendable), messageId);
      } catch (err) {
        if (err instanceof WsmanFault && err.wsmanCode === FAULT_CODE.busy && attempt < retries) {
          await sleep(this.#o.busyRetryDelayMs ?? 1000);
          continue;
        }
        if (err instanceof WsmanProtocolError) throw new WsmanProtocolError(`${label}: ${err.message}`);
        throw err;
      }
    }
  }

  #error(fault: WsmanFault, what: string, hint: string): ConnectionError {
    const e = new ConnectionError(this.#o.host, `${this.#o.host}: ${what}: ${fault.message}`, hint);
    e.cause = fault;
    return e;
  }

  /** Turns protocol-level failures into errors that name the host and the fix; others pass through. */
  #asError(err: unknown): unknown {
    if (err instanceof ConnectionError) return err;
    if (err instanceof WsmanHttpError) {
      const e = new ConnectionError(this.#o.host, err.message, err.hint);
      e.cause = err;
      return e;
    }
    if (err instanceof WsmanFault) {
      if (err.wsmanCode === FAULT_CODE.commandLineTooLong) {
        return this.#error(err, 'the command line is too long for cmd.exe', 'this is a bug in provision: scripts must travel on stdin through the PowerShell bootstrap; please report it');
      }
      if (err.wsmanCode === FAULT_CODE.busy) return this.#error(err, 'the WinRM service stayed busy', 'run again later');
      return this.#error(err, 'the WinRM service refused the request', 'see the fault reason; the WinRM service log is in Event Viewer under Microsoft-Windows-WinRM/Operational');
    }
    if (err instanceof WsmanProtocolError) {
      const e = new ConnectionError(this.#o.host, `${this.#o.host}: unexpected WinRM reply (${err.message})`, 'check that the address and port reach a WinRM listener and not another service');
      e.cause = err;
      return e;
    }
    return err;
  }
}
