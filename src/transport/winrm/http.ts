/**
 * POSTs envelopes to /wsman over one keep-alive socket (http or https), with Basic or NTLM
 * (Negotiate) authentication. NTLM authenticates the connection, not the request: when the
 * socket changes, the handshake runs again on the new one. Over plain HTTP an NTLM session
 * seals every body (MS-WSMV 2.2.9.1) unless the operator allowed unencrypted traffic.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { tlsServerEndPoint } from './channel-binding.ts';

/** The part of an NTLM session used for bodies (see ntlm/session.ts). */
export interface SealingSession {
  wrap(message: Buffer): { signature: Buffer; sealed: Buffer };
  unwrap(signature: Buffer, sealed: Buffer): Buffer;
}
/** The part of an NTLM client used for the handshake (see ntlm/client.ts). */
export interface NtlmHandshake {
  negotiate(): Buffer;
  authenticate(challenge: Buffer): Buffer;
  session(): SealingSession;
}
/** Body encryption (see encryption.ts). */
export interface BodyCipher {
  readonly contentType: string;
  encrypt(session: SealingSession, soap: Buffer): Buffer;
  decrypt(session: SealingSession, body: Buffer): Buffer;
}

export type HttpAuth =
  | { readonly kind: 'basic'; readonly user: string; readonly password: string }
  | {
      readonly kind: 'ntlm';
      readonly user: string;
      /** `channelBindings`: over https, the tls-server-end-point binding of the connection's certificate. */
      readonly newClient: (channelBindings: Buffer | undefined) => NtlmHandshake;
      readonly cipher?: BodyCipher;
    };

export interface WsmanHttpOptions {
  /** Inventory name, for messages. */
  readonly host: string;
  readonly scheme: 'http' | 'https';
  readonly address: string;
  readonly port: number;
  readonly path?: string;
  readonly auth: HttpAuth;
  /** PEM CA certificates to trust instead of the system store. */
  readonly ca?: Buffer;
  readonly validateCerts?: boolean;
  /** Per-request limit; a Receive waits up to OperationTimeout on the server, so keep it above that. */
  readonly requestTimeoutMs: number;
}

export const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=UTF-8';

/** Why a request failed at the HTTP level. `retryable`: the request never reached the server's handler, or may be resent. */
export class WsmanHttpError extends Error {
  override name = 'WsmanHttpError';
  constructor(
    message: string,
    readonly kind: 'auth' | 'tls' | 'dropped' | 'refused' | 'timeout' | 'http' | 'encryption',
    readonly hint: string,
    readonly status?: number,
    /** The request went out on a reused keep-alive socket the server had already closed. */
    readonly staleSocket = false,
  ) {
    super(message);
  }
}

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Thrown inside a request whose socket is not the authenticated one; the body was never written. */
class SocketChanged extends Error {}

export class WsmanHttp {
  readonly #o: WsmanHttpOptions;
  readonly #agent: http.Agent;
  /** NTLM: the socket the session belongs to and the session itself. */
  #authSocket: Socket | undefined;
  #session: SealingSession | undefined;

  constructor(options: WsmanHttpOptions) {
    this.#o = options;
    const agentOptions = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1 };
    this.#agent =
      options.scheme === 'https'
        ? new https.Agent({ ...agentOptions, ca: options.ca, rejectUnauthorized: options.validateCerts !== false })
        : new http.Agent(agentOptions);
  }

  get url(): string {
    return `${this.#o.scheme}://${this.#o.address.includes(':') ? `[${this.#o.address}]` : this.#o.address}:${this.#o.port}${this.#o.path ?? '/wsman'}`;
  }

  /** Whether bodies are sealed (NTLM over HTTP with a cipher). */
  get encrypting(): boolean {
    return this.#o.auth.kind === 'ntlm' && this.#o.auth.cipher !== undefined;
  }

  /**
   * Send one envelope; returns the reply text (a 500 with a fault body is a reply too).
   * A dropped connection is retried once on a new one when `resendable` or the socket was a
   * reused keep-alive socket the server had already closed.
   */
  async post(xml: string, resendable: boolean): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#postOnce(Buffer.from(xml, 'utf8'));
      } catch (err) {
        if (err instanceof WsmanHttpError && err.kind === 'dropped' && attempt === 0 && (resendable || err.staleSocket)) continue;
        throw err;
      }
    }
  }

  close(): void {
    this.#agent.destroy();
    this.#authSocket = undefined;
    this.#session = undefined;
  }

  async #postOnce(soap: Buffer): Promise<string> {
    const auth = this.#o.auth;
    if (auth.kind === 'basic') {
      const token = Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64');
      const res = await this.#request({ Authorization: `Basic ${token}`, 'Content-Type': SOAP_CONTENT_TYPE }, () => soap);
      return this.#replyText(res, undefined);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      let authorization: string | undefined;
      if (!this.#authSocket || this.#authSocket.destroyed) authorization = await this.#negotiate(auth);
      const session = this.#session;
      const socket = this.#authSocket;
      const cipher = auth.cipher;
      try {
        const headers: http.OutgoingHttpHeaders = { 'Content-Type': cipher ? cipher.contentType : SOAP_CONTENT_TYPE };
        if (authorization) headers['Authorization'] = authorization;
        const res = await this.#request(headers, (s) => {
          if (s !== socket) throw new SocketChanged();
          // Sealing advances the session's RC4 state: only once the body will really be written.
          return cipher && session ? cipher.encrypt(session, soap) : soap;
        });
        if (res.status === 401) {
          this.#forgetSession();
          throw new WsmanHttpError(
            `${this.#o.host}: the WinRM server rejected the NTLM credentials of ${auth.user} (HTTP 401)`,
            'auth',
            'check the user name (DOMAIN\\user or user@domain), the password in the environment variable named by connection.winrm.password_env, and that the account may use WinRM',
            401,
          );
        }
        return this.#replyText(res, cipher && session ? { cipher, session } : undefined);
      } catch (err) {
        if (err instanceof SocketChanged) {
          this.#forgetSession();
          continue;
        }
        throw err;
      }
    }
    throw new WsmanHttpError(`${this.#o.host}: the connection kept changing during NTLM authentication`, 'dropped', 'check for a proxy or load balancer between here and the host; NTLM needs one TCP connection per session');
  }

  /** NTLM step 1: NEGOTIATE on an empty POST, CHALLENGE back in a 401; returns the AUTHENTICATE header for the next request. */
  async #negotiate(auth: Extract<HttpAuth, { kind: 'ntlm' }>): Promise<string> {
    this.#forgetSession();
    const hs: { client?: NtlmHandshake; socket?: Socket } = {};
    const res = await this.#request({ 'Content-Type': SOAP_CONTENT_TYPE }, (s, setHeader) => {
      // Over TLS the handshake is bound to this connection's certificate (Extended Protection).
      const cert = s instanceof TLSSocket ? s.getPeerCertificate(false) : undefined;
      const client = auth.newClient(cert?.raw ? tlsServerEndPoint(cert.raw) : undefined);
      setHeader('Authorization', `Negotiate ${client.negotiate().toString('base64')}`);
      hs.client = client;
      hs.socket = s;
      return Buffer.alloc(0);
    });
    const { client: ntlm, socket } = hs;
    if (!socket || !ntlm) throw new WsmanHttpError(`${this.#o.host}: no connection for NTLM`, 'dropped', 'run again');
    const header = res.headers['www-authenticate'];
    const offers = (Array.isArray(header) ? header : header ? [header] : []).flatMap((h) => h.split(','));
    const challenge = offers.map((h) => /^\s*Negotiate\s+([A-Za-z0-9+/=]+)\s*$/.exec(h)?.[1]).find((t) => t !== undefined);
    if (res.status !== 401 || !challenge) {
      const offered = offers.map((h) => h.trim().split(/\s+/)[0]).join(', ') || 'none';
      throw new WsmanHttpError(
        `${this.#o.host}: the WinRM server did not answer the NTLM negotiation (HTTP ${res.status}; schemes offered: ${offered})`,
        'auth',
        'enable Negotiate authentication on the WinRM service (winrm set winrm/config/service/auth @{Negotiate="true"}) or use auth: basic over https',
        res.status,
      );
    }
    let authenticate: Buffer;
    try {
      authenticate = ntlm.authenticate(Buffer.from(challenge, 'base64'));
    } catch (err) {
      throw new WsmanHttpError(
        `${this.#o.host}: the WinRM server's NTLM challenge cannot be answered (${err instanceof Error ? err.message : String(err)})`,
        'auth',
        'the server must offer NTLMv2 with 128-bit session security (the Windows default); check LmCompatibilityLevel and the NTLM policies on the host',
      );
    }
    const s: Socket = socket;
    this.#authSocket = s;
    this.#session = ntlm.session();
    s.once('close', () => {
      if (this.#authSocket === s) this.#forgetSession();
    });
    return `Negotiate ${authenticate.toString('base64')}`;
  }

  #forgetSession(): void {
    this.#authSocket = undefined;
    this.#session = undefined;
  }

  #replyText(res: RawResponse, sealed: { cipher: BodyCipher; session: SealingSession } | undefined): string {
    const type = String(res.headers['content-type'] ?? '');
    if (res.status === 401) {
      throw new WsmanHttpError(
        `${this.#o.host}: the WinRM server rejected the credentials (HTTP 401)`,
        'auth',
        'check the user and the password in the environment variable named by connection.winrm.password_env; Basic works for local accounts only and must be enabled on the service',
        401,
      );
    }
    let body = res.body;
    if (sealed) {
      if (!/^multipart\/encrypted/i.test(type)) {
        throw new WsmanHttpError(`${this.#o.host}: the WinRM server answered an encrypted request with an unencrypted body (HTTP ${res.status})`, 'encryption', 'check that nothing between here and the host rewrites WinRM traffic', res.status);
      }
      body = sealed.cipher.decrypt(sealed.session, body);
    }
    if (res.status === 200 || (res.status === 500 && body.length > 0)) return body.toString('utf8');
    throw new WsmanHttpError(
      `${this.#o.host}: the WinRM server answered HTTP ${res.status}${body.length ? `: ${body.toString('utf8').slice(0, 200)}` : ''}`,
      'http',
      res.status === 404 ? 'check the WinRM listener (winrm enumerate winrm/config/listener) and the port/scheme in connection.winrm' : 'see the WinRM service log (Event Viewer: Microsoft-Windows-WinRM/Operational)',
      res.status,
    );
  }

  /** One request; `body(socket)` is called once the socket is known (TLS established) and may refuse it or add headers. */
  #request(headers: http.OutgoingHttpHeaders, body: (socket: Socket, setHeader: (name: string, value: string) => void) => Buffer): Promise<RawResponse> {
    const o = this.#o;
    const mod = o.scheme === 'https' ? https : http;
    return new Promise((resolve, reject) => {
      let reused = false;
      const req = mod.request({ host: o.address, port: o.port, path: o.path ?? '/wsman', method: 'POST', agent: this.#agent, headers, timeout: o.requestTimeoutMs });
      req.once('socket', (socket: Socket) => {
        reused = req.reusedSocket;
        const send = (): void => {
          let data: Buffer;
          try {
            data = body(socket, (name, value) => req.setHeader(name, value));
          } catch (err) {
            req.destroy(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          req.setHeader('Content-Length', data.length);
          req.end(data);
        };
        // A new TLS socket knows its peer certificate only once the handshake is done.
        if (socket instanceof TLSSocket && !req.reusedSocket && !socket.getPeerCertificate(false)?.raw) {
          let sent = false;
          const once = (): void => {
            if (sent) return;
            sent = true;
            socket.off('secureConnect', once);
            socket.off('close', once);
            send();
          };
          // On close the write fails and the request reports the error.
          socket.once('secureConnect', once);
          socket.once('close', once);
        } else send();
      });
      req.on('timeout', () => req.destroy(new WsmanHttpError(`${o.host}: no answer from ${this.url} within ${Math.round(o.requestTimeoutMs / 1000)} s`, 'timeout', 'check that the host is up and the WinRM service runs; raise connection.winrm.operation_timeout for slow hosts')));
      req.on('error', (err: Error & { code?: string }) => reject(this.#describe(err, reused)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', (err) => reject(this.#describe(err, false)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
    });
  }

  #describe(err: Error & { code?: string }, reusedSocket: boolean): Error {
    if (err instanceof WsmanHttpError || err instanceof SocketChanged) return err;
    const o = this.#o;
    const code = err.code ?? '';
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/.test(code)) {
      return new WsmanHttpError(
        `${o.host}: the WinRM server's TLS certificate was refused (${code}: ${err.message})`,
        'tls',
        'give the CA that signed the listener certificate in connection.winrm.ca_file (PEM), or make the address match the certificate name',
      );
    }
    if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
      return new WsmanHttpError(
        `${o.host}: cannot reach WinRM at ${this.url} (${code})`,
        'refused',
        `check the address and that a WinRM ${o.scheme} listener runs on port ${o.port} (winrm quickconfig${o.scheme === 'https' ? ' -transport:https' : ''}) and the firewall allows it`,
      );
    }
    return new WsmanHttpError(`${o.host}: the WinRM server dropped the connection (${code || err.message})`, 'dropped', 'run again; if it repeats, check the WinRM service and MaxEnvelopeSizekb', undefined, reusedSocket);
  }
}
