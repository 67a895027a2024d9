/**
 * A loopback WS-Management server for tests: HTTP or HTTPS, Basic or NTLM (Negotiate) auth,
 * MS-WSMV 2.2.9.1 encrypted bodies, strict request checks, the cmd-shell state machine, and
 * injectable faults and dropped connections.
 */
import { timingSafeEqual, X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { tlsServerEndPoint } from '../../src/transport/winrm/channel-binding.ts';
import { faultEnvelope, INJECTABLE, type InjectableFault, type Operation } from './protocol.ts';
import { readRequest, RequestFault } from './request.ts';
import { ShellMachine, type ShellEvent } from './shells.ts';
import type { ScriptedHost } from './scripted-host.ts';

/** The server side of an NTLM session (see ntlm/session.ts). */
export interface ServerSealingSession {
  wrap(message: Buffer): { signature: Buffer; sealed: Buffer };
  unwrap(signature: Buffer, sealed: Buffer): Buffer;
}
/** One NTLM handshake on the server (see ntlm-acceptor.ts). */
export interface ServerNtlmAcceptor {
  challenge(negotiate: Buffer): Buffer;
  accept(authenticate: Buffer): { user: string; session: ServerSealingSession };
}
export interface ServerBodyCipher {
  readonly contentType: string;
  encrypt(session: ServerSealingSession, soap: Buffer): Buffer;
  decrypt(session: ServerSealingSession, body: Buffer): Buffer;
}

export interface WinrmTestServerOptions {
  readonly scheme: 'http' | 'https';
  /** user -> password. */
  readonly accounts: ReadonlyMap<string, string>;
  readonly auth: readonly ('basic' | 'ntlm')[];
  readonly host: ScriptedHost;
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  /** `channelBindings`: over https, the tls-server-end-point binding of the server certificate; an acceptor may require it. */
  readonly ntlm?: { readonly newAcceptor: (channelBindings: Buffer | undefined) => ServerNtlmAcceptor; readonly cipher: ServerBodyCipher };
  /** Over HTTP: refuse unencrypted bodies (AllowUnencrypted=false, the Windows default). Default true. */
  readonly requireEncryption?: boolean;
  /** Largest request envelope accepted, in bytes (MaxEnvelopeSizekb). Default 153600. */
  readonly maxEnvelopeBytes?: number;
  readonly chunkBytes?: number;
  readonly chunksPerReceive?: number;
  readonly maxShells?: number;
}

export type Injection = InjectableFault | 'drop';

interface ConnectionAuth {
  acceptor?: ServerNtlmAcceptor;
  user?: string;
  session?: ServerSealingSession;
}

const SOAP_TYPE = /^application\/soap\+xml;\s*charset=utf-8$/i;

export class WinrmTestServer {
  readonly machine: ShellMachine;
  /** Requests by operation, in order, with how they ended. */
  readonly log: { operation: Operation | 'auth' | 'unknown'; outcome: string; encrypted: boolean }[] = [];
  connections = 0;
  readonly #o: WinrmTestServerOptions;
  readonly #server: http.Server;
  readonly #sockets = new Set<Socket>();
  readonly #auth = new WeakMap<Socket, ConnectionAuth>();
  readonly #injections: { operation: Operation; what: Injection; times: number }[] = [];
  port = 0;
  readonly #channelBindings: Buffer | undefined;

  constructor(options: WinrmTestServerOptions) {
    this.#o = options;
    this.#channelBindings = options.tls ? tlsServerEndPoint(new X509Certificate(options.tls.cert).raw) : undefined;
    this.machine = new ShellMachine({
      host: options.host,
      chunkBytes: options.chunkBytes ?? 7,
      chunksPerReceive: options.chunksPerReceive ?? 5,
      maxShells: options.maxShells ?? 30,
    });
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        this.#handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
          res.statusCode = 500;
          res.end(String(err));
        });
      });
    };
    if (options.scheme === 'https') {
      if (!options.tls) throw new Error('an https test server needs tls.key and tls.cert');
      this.#server = https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler);
    } else {
      this.#server = http.createServer(handler);
    }
    this.#server.keepAliveTimeout = 60000;
    this.#server.on(options.scheme === 'https' ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.connections++;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  get events(): readonly ShellEvent[] {
    return this.machine.events;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return this.port;
  }

  /** The next `times` requests for `operation` fail this way instead of being processed. */
  inject(operation: Operation, what: Injection, times = 1): void {
    this.#injections.push({ operation, what, times });
  }

  clearInjections(): void {
    this.#injections.length = 0;
  }

  /** Closes every open connection, as a restarting service or a middlebox would. */
  dropConnections(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    if (req.method !== 'POST' || (req.url ?? '') !== '/wsman') {
      res.statusCode = 404;
      res.end();
      return;
    }
    const socket = req.socket;
    const auth = this.#auth.get(socket) ?? {};
    this.#auth.set(socket, auth);
    const header = req.headers.authorization ?? '';
    const offer = (): string[] => [...(this.#o.auth.includes('ntlm') ? ['Negotiate'] : []), ...(this.#o.auth.includes('basic') && this.#basicAllowed() ? ['Basic realm="WSMAN"'] : [])];
    const unauthorized = (outcome: string, challenge?: string): void => {
      this.log.push({ operation: 'auth', outcome, encrypted: false });
      res.statusCode = 401;
      res.setHeader('WWW-Authenticate', challenge ? [challenge] : offer());
      res.end();
    };

    let user: string | undefined;
    let session: ServerSealingSession | undefined;
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(header);
    const negotiate = /^Negotiate\s+([A-Za-z0-9+/=]+)$/.exec(header);
    if (basic) {
      if (!this.#o.auth.includes('basic') || !this.#basicAllowed()) return unauthorized('basic not allowed');
      const [name, ...rest] = Buffer.from(basic[1] ?? '', 'base64').toString('utf8').split(':');
      const expected = this.#o.accounts.get(name ?? '');
      const given = Buffer.from(rest.join(':'));
      if (expected === undefined || given.length !== Buffer.byteLength(expected) || !timingSafeEqual(given, Buffer.from(expected))) return unauthorized('basic rejected');
      user = name;
    } else if (negotiate) {
      if (!this.#o.auth.includes('ntlm') || !this.#o.ntlm) return unauthorized('ntlm not allowed');
      const token = Buffer.from(negotiate[1] ?? '', 'base64');
      const type = token.length >= 12 && token.subarray(0, 8).toString('latin1') === 'NTLMSSP\0' ? token.readUInt32LE(8) : 0;
      if (type === 1) {
        // NEGOTIATE: a fresh handshake on this connection; the body must be empty.
        auth.acceptor = this.#o.ntlm.newAcceptor(this.#channelBindings);
        auth.session = undefined;
        auth.user = undefined;
        const challenge = auth.acceptor.challenge(token);
        return unauthorized('ntlm challenge', `Negotiate ${challenge.toString('base64')}`);
      }
      if (type !== 3 || !auth.acceptor) return unauthorized('ntlm out of order');
      try {
        const accepted = auth.acceptor.accept(token);
        auth.user = accepted.user;
        auth.session = accepted.session;
      } catch {
        auth.acceptor = undefined;
        return unauthorized('ntlm rejected');
      }
      auth.acceptor = undefined;
      user = auth.user;
      session = auth.session;
    } else if (header === '' && auth.session) {
      // NTLM authenticated this connection earlier.
      user = auth.user;
      session = auth.session;
    } else {
      return unauthorized('no credentials');
    }
    if (!user) return unauthorized('no user');

    const type = String(req.headers['content-type'] ?? '');
    const encrypted = /^multipart\/encrypted/i.test(type);
    let soap: Buffer;
    if (encrypted) {
      if (!session || !this.#o.ntlm) return this.#plain(res, 400, 'encrypted body without an NTLM session');
      try {
        soap = this.#o.ntlm.cipher.decrypt(session, body);
      } catch (err) {
        return this.#plain(res, 400, `cannot decrypt the body: ${String(err)}`);
      }
    } else {
      if (this.#o.scheme === 'http' && (this.#o.requireEncryption ?? true)) {
        // AllowUnencrypted=false: a plain body over HTTP is refused before it is read.
        this.log.push({ operation: 'unknown', outcome: 'unencrypted refused', encrypted: false });
        return this.#plain(res, 400, 'unencrypted body refused: the service requires message encryption over HTTP');
      }
      if (!SOAP_TYPE.test(type)) return this.#plain(res, 415, `unsupported content type ${type}`);
      soap = body;
    }
    const send = (status: number, xml: string): void => {
      res.statusCode = status;
      const out = Buffer.from(xml, 'utf8');
      if (encrypted && session && this.#o.ntlm) {
        res.setHeader('Content-Type', this.#o.ntlm.cipher.contentType);
        res.end(this.#o.ntlm.cipher.encrypt(session, out));
      } else {
        res.setHeader('Content-Type', 'application/soap+xml;charset=UTF-8');
        res.end(out);
      }
    };

    let operation: Operation | 'unknown' = 'unknown';
    try {
      if (soap.length > (this.#o.maxEnvelopeBytes ?? 153600)) {
        const messageId = /<a:MessageID>([^<]*)<\/a:MessageID>/.exec(soap.subarray(0, 4096).toString('utf8'))?.[1] ?? '';
        // The documents give no WSManFault code for this one, so none is sent.
        throw new RequestFault({ code: 's:Sender', subcode: 'w:EncodingLimit', reason: 'The request is larger than MaxEnvelopeSizekb.' }, messageId);
      }
      const request = readRequest(soap.toString('utf8'));
      operation = request.operation;
      const injection = this.#injections.find((i) => i.operation === request.operation && i.times > 0);
      if (injection) {
        injection.times--;
        this.log.push({ operation, outcome: `injected ${injection.what}`, encrypted });
        if (injection.what === 'drop') {
          socket.destroy();
          return;
        }
        if (injection.what === 'shellClosed') {
          const shellId = request.selectors.get('ShellId');
          if (shellId) this.machine.dropShell(shellId);
        }
        throw new RequestFault(INJECTABLE[injection.what], request.messageId);
      }
      const xml = await this.machine.handle(request);
      this.log.push({ operation, outcome: 'ok', encrypted });
      send(200, xml);
    } catch (err) {
      if (!(err instanceof RequestFault)) throw err;
      this.log.push({ operation, outcome: `fault ${err.spec.subcode ?? err.spec.code}`, encrypted });
      send(500, faultEnvelope(err.relatesTo, err.spec));
    }
  }

  /** Basic over plain HTTP needs AllowUnencrypted on a real service. */
  #basicAllowed(): boolean {
    return this.#o.scheme === 'https' || this.#o.requireEncryption === false;
  }

  #plain(res: http.ServerResponse, status: number, text: string): void {
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain');
    res.end(text);
  }
}
