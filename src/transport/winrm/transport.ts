/**
 * The winrm transport: PowerShell scripts on a Windows host through a WS-Management cmd shell,
 * started with the PowerShell bootstrap (script on stdin). One shell serves every script of a
 * run; close deletes it.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { CommandResult } from '../../core/types.ts';
import { bootstrapCommand, bootstrapStdin } from '../powershell-bootstrap.ts';
import { ConnectionError, type RunOptions, type Transport } from '../transport.ts';
import { decodeStderr } from './clixml.ts';
import { decryptBody, ENCRYPTED_CONTENT_TYPE, encryptBody } from './encryption.ts';
import { WsmanHttp, type HttpAuth } from './http.ts';
import { DEFAULT_MAX_ENVELOPE_SIZE } from './namespaces.ts';
import { NtlmClient } from './ntlm/client.ts';
import { WinrmShell } from './shell.ts';

export interface WinrmTransportOptions {
  /** Inventory name, for messages. */
  readonly host: string;
  readonly address: string;
  /** Default https. */
  readonly scheme?: 'http' | 'https';
  /** Default 5986 for https, 5985 for http. */
  readonly port?: number;
  readonly user: string;
  /** Default ntlm. */
  readonly auth?: 'basic' | 'ntlm';
  /** Name of the environment variable that holds the password (never the password itself). */
  readonly passwordEnv: string;
  /** Default process.env; tests pass their own. */
  readonly env?: NodeJS.ProcessEnv;
  /** PEM file with the CA(s) that signed the listener certificate. */
  readonly caFile?: string;
  /** Default true; false accepts any certificate (throw-away hosts only). */
  readonly validateCerts?: boolean;
  /** Over http: send bodies unencrypted (Basic, or NTLM without sealing). Default false. */
  readonly allowUnencrypted?: boolean;
  /** Seconds a Receive may wait on the server (default 20). */
  readonly operationTimeoutS?: number;
  readonly maxEnvelopeSize?: number;
  readonly busyRetryDelayMs?: number;
  readonly path?: string;
}

export class WinrmTransport implements Transport {
  readonly host: string;
  readonly shell = 'powershell';
  #execCount = 0;
  readonly #o: WinrmTransportOptions;
  #http: WsmanHttp | undefined;
  #shell: WinrmShell | undefined;

  constructor(options: WinrmTransportOptions) {
    this.host = options.host;
    this.#o = options;
  }

  get execCount(): number {
    return this.#execCount;
  }

  /** How many shells were created (reuse keeps it at one per run). */
  get shellsCreated(): number {
    return this.#shell?.shellsCreated ?? 0;
  }

  async connect(): Promise<void> {
    await this.#shellClient().open();
  }

  async runScript(script: string, options: RunOptions = {}): Promise<CommandResult> {
    options.signal?.throwIfAborted();
    const shell = this.#shellClient();
    this.#execCount++;
    const { command, args } = bootstrapCommand();
    const signals = [options.signal, options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs)].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    try {
      const r = await shell.run(command, args, bootstrapStdin(script), { signal });
      return { ...r, stderr: decodeStderr(r.stderr) };
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') {
        const e = new Error(`${this.host}: script did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)} s; it was stopped`);
        e.name = 'TimeoutError';
        throw e;
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    const shell = this.#shell;
    const http = this.#http;
    this.#shell = undefined;
    this.#http = undefined;
    try {
      await shell?.close();
    } finally {
      http?.close();
    }
  }

  #shellClient(): WinrmShell {
    if (this.#shell) return this.#shell;
    const o = this.#o;
    const scheme = o.scheme ?? 'https';
    const password = this.#password();
    const auth: HttpAuth =
      (o.auth ?? 'ntlm') === 'basic'
        ? { kind: 'basic', user: o.user, password }
        : {
            kind: 'ntlm',
            user: o.user,
            newClient: (channelBindings) => new NtlmClient({ user: o.user, password, workstation: hostname().split('.')[0]?.toUpperCase(), channelBindings }),
            // Over TLS the channel is already private; over http every body is sealed unless allowed otherwise.
            ...(scheme === 'http' && !o.allowUnencrypted ? { cipher: { contentType: ENCRYPTED_CONTENT_TYPE, encrypt: encryptBody, decrypt: decryptBody } } : {}),
          };
    if (scheme === 'http' && auth.kind === 'basic' && !o.allowUnencrypted) {
      throw new ConnectionError(
        this.host,
        `${this.host}: refusing to send a Basic password over unencrypted http`,
        'use scheme: https (the default), or auth: ntlm (bodies are sealed); set connection.winrm.allow_unencrypted: true only on a trusted network',
      );
    }
    let ca: Buffer | undefined;
    if (o.caFile !== undefined) {
      try {
        ca = readFileSync(o.caFile);
      } catch (err) {
        throw new ConnectionError(this.host, `${this.host}: cannot read connection.winrm.ca_file ${o.caFile}: ${err instanceof Error ? err.message : String(err)}`, 'give the path of a PEM file with the CA that signed the WinRM listener certificate');
      }
    }
    const operationTimeoutS = o.operationTimeoutS ?? 20;
    this.#http = new WsmanHttp({
      host: this.host,
      scheme,
      address: o.address,
      port: o.port ?? (scheme === 'https' ? 5986 : 5985),
      path: o.path,
      auth,
      ca,
      validateCerts: o.validateCerts,
      requestTimeoutMs: (operationTimeoutS + 30) * 1000,
    });
    this.#shell = new WinrmShell({
      host: this.host,
      http: this.#http,
      operationTimeoutS,
      maxEnvelopeSize: o.maxEnvelopeSize ?? DEFAULT_MAX_ENVELOPE_SIZE,
      busyRetryDelayMs: o.busyRetryDelayMs,
    });
    return this.#shell;
  }

  #password(): string {
    const name = this.#o.passwordEnv;
    const value = (this.#o.env ?? process.env)[name];
    if (value === undefined || value === '') {
      throw new ConnectionError(this.host, `${this.host}: the WinRM password environment variable ${name} is not set`, `export ${name}=... before running provision (connection.winrm.password_env names it; the inventory never holds the password)`);
    }
    return value;
  }
}
