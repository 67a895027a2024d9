/**
 * The SSH transport: one ssh2 connection per host, opened once and reused for every script of a
 * run (a new exec costs ~3 ms, a new connection ~45-115 ms: see performance.md).
 *
 * Where a host is, who we log in as and which keys/known_hosts apply come from the inventory
 * options first, then the operator's ssh_config, then OpenSSH's defaults, so that a host that
 * works with `ssh ALIAS` works here. Every failure to reach a host becomes a ConnectionError that
 * names the host and says how to fix it; key material and scripts never appear in messages or on
 * a command line.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { constants as osConstants, homedir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type {
  AnyAuthMethod,
  AuthenticationType,
  Client,
  ClientChannel,
  ConnectConfig,
  KexAlgorithm,
  NextAuthHandler,
  ParsedKey,
  ServerHostKeyAlgorithm,
} from 'ssh2';
import type { CommandResult } from '../core/types.ts';
import { shJoin, shQuote } from '../core/shell.ts';
import { checkHostKey, hostKeyFingerprint, hostKeyType, knownHostKeyTypes, knownHostsLine, knownHostsName } from './known-hosts.ts';
import {
  defaultSshConfigFile,
  expandTilde,
  parseProxyJump,
  resolveSshConfig,
  type JumpHop,
  type ResolvedSshConfig,
  type StrictHostKeyChecking,
} from './ssh-config.ts';
import { bootstrapCommand, bootstrapStdin } from './powershell-bootstrap.ts';
import { decodeStderr } from './winrm/clixml.ts';
import { ConnectionError, shellArgv, sudoPasswordError, type RunOptions, type Transport } from './transport.ts';

export interface SshTransportOptions {
  /** Inventory name (messages; the ssh_config alias when address is absent). */
  host: string;
  /** IP/DNS name or ssh_config Host alias. */
  address?: string;
  port?: number;
  user?: string;
  identityFile?: string;
  /** Default: ssh_config UserKnownHostsFile, then ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Default true; false accepts any host key (insecure opt-out for throw-away hosts). */
  strictHostKeyChecking?: boolean;
  /** Default ~/.ssh/config if it exists; null ignores ssh_config. */
  sshConfigFile?: string | null;
  /** [user@]host[:port][,more]; also taken from ssh_config ProxyJump. */
  proxyJump?: string;
  become: { user?: string } | null;
  /** Default 10000. */
  connectTimeoutMs?: number;
  /** Default 15000; 0 disables. */
  keepaliveIntervalMs?: number;
  /** Default process.env.SSH_AUTH_SOCK. */
  agentSocket?: string;
  /**
   * sh (default): scripts run with `sh -s`. powershell: a Windows host running OpenSSH Server;
   * scripts run through the PowerShell bootstrap (its command line, the script on stdin).
   */
  shell?: 'sh' | 'powershell';
}

/** Everything one connection needs, after options > ssh_config > defaults. */
interface Endpoint {
  readonly hostName: string;
  readonly port: number;
  readonly user: string;
  readonly identityFiles: readonly string[];
  /** No IdentityFile anywhere: try OpenSSH's default key files. */
  readonly defaultIdentities: boolean;
  readonly identitiesOnly: boolean;
  readonly knownHostsFile: string;
  readonly strict: StrictHostKeyChecking;
  readonly jumps: readonly JumpHop[];
  readonly connectTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_KEEPALIVE_MS = 15_000;
/** Unanswered keepalives before the connection is declared dead (OpenSSH ServerAliveCountMax). */
const KEEPALIVE_COUNT_MAX = 3;
/** Jump chains longer than this are almost certainly a ProxyJump loop in ssh_config. */
const MAX_JUMP_DEPTH = 8;
/** OpenSSH's default identities that ssh2 can use (no FIDO *_sk keys). */
const DEFAULT_IDENTITY_NAMES = ['id_rsa', 'id_ecdsa', 'id_ed25519'];

/** ecdh-sha2-nistp256 first: measured ~2 ms and 13% less sshd CPU per connection than curve25519. */
const KEX: KexAlgorithm[] = [
  'ecdh-sha2-nistp256',
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
];
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

export class SshTransport implements Transport {
  readonly host: string;
  readonly shell: 'sh' | 'powershell';
  readonly #options: SshTransportOptions;
  readonly #jumpDepth: number;
  #execCount = 0;
  #client: Client | undefined;
  #jump: SshTransport | undefined;
  #opening: Promise<Client> | undefined;
  /** Why the open connection went away, for the messages of scripts cut short. */
  #lastError: Error | undefined;
  /** The login user of the open connection, for the sudo hint. */
  #user = '';
  #warnings: readonly string[] = [];

  /** `jumpDepth` is internal: set when this transport is a jump host of another one. */
  constructor(options: SshTransportOptions, jumpDepth = 0) {
    this.host = options.host;
    this.shell = options.shell ?? 'sh';
    if (this.shell === 'powershell' && options.become) {
      throw new ConnectionError(options.host, `${options.host}: become is not supported with shell: powershell`, 'remove become/become_user for this host and connect as an account with the rights the playbook needs');
    }
    this.#options = options;
    this.#jumpDepth = jumpDepth;
  }

  get execCount(): number {
    return this.#execCount;
  }

  /** ssh_config lines that were ignored (Match blocks, bad values) while resolving this host. */
  get configWarnings(): readonly string[] {
    return this.#warnings;
  }

  async connect(): Promise<void> {
    await this.#connection();
  }

  /** The open connection; concurrent callers share one attempt, a failed attempt can be retried. */
  #connection(): Promise<Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async runScript(script: string, options: RunOptions = {}): Promise<CommandResult> {
    options.signal?.throwIfAborted();
    const client = await this.#connection();
    options.signal?.throwIfAborted();
    const become = this.#options.become;
    this.#execCount++;
    if (this.shell === 'powershell') {
      const r = await this.#exec(client, bootstrapCommand().commandLine, bootstrapStdin(script), options);
      return { ...r, stderr: decodeStderr(r.stderr) };
    }
    const result = await this.#exec(client, shJoin(shellArgv(become)), script, options);
    const sudo = sudoPasswordError(this.host, become, this.#user, result);
    if (sudo) throw sudo;
    return result;
  }

  async close(): Promise<void> {
    await this.#opening?.catch(() => undefined);
    const client = this.#client;
    const jump = this.#jump;
    this.#client = undefined;
    this.#jump = undefined;
    if (client) await endClient(client);
    await jump?.close();
  }

  // ---- connecting ------------------------------------------------------------------------

  async #open(): Promise<Client> {
    const ep = await this.#resolveEndpoint();
    const where = this.#where(ep);
    const [knownHosts, auth] = await Promise.all([readOptional(ep.knownHostsFile), planAuth(ep, this.#agentSocket())]);
    const jump = ep.jumps.length > 0 ? await this.#connectJump(ep, where) : undefined;
    try {
      const client = await this.#establish(ep, where, knownHosts ?? '', auth, jump);
      this.#client = client;
      this.#jump = jump;
      this.#user = ep.user;
      this.#lastError = undefined;
      client.on('error', (err: Error) => {
        this.#lastError = err;
      });
      client.once('close', () => {
        if (this.#client !== client) return;
        this.#client = undefined;
        this.#jump = undefined;
        void jump?.close();
      });
      return client;
    } catch (err) {
      await jump?.close();
      throw err;
    }
  }

  #agentSocket(): string | undefined {
    const socket = this.#options.agentSocket ?? process.env['SSH_AUTH_SOCK'];
    return socket === '' ? undefined : socket;
  }

  async #resolveEndpoint(): Promise<Endpoint> {
    const o = this.#options;
    const alias = o.address ?? o.host;
    const home = homedir();
    const configFile = o.sshConfigFile === undefined ? defaultSshConfigFile(home) : o.sshConfigFile && expandTilde(o.sshConfigFile, home);
    let config: ResolvedSshConfig = { identityFiles: [], warnings: [] };
    if (configFile) {
      const text = await readOptional(configFile);
      if (text === undefined) {
        throw new ConnectionError(o.host, `${o.host}: ssh_config file ${configFile} cannot be read`, 'fix ssh_config_file, or set it to null to ignore ssh_config');
      }
      config = resolveSshConfig({ text, path: configFile }, alias, { ...(o.user ? { user: o.user } : {}), ...(o.port ? { port: o.port } : {}), homeDir: home });
      this.#warnings = config.warnings;
    }
    const explicit = o.identityFile === undefined ? [] : [expandTilde(o.identityFile, home)];
    const identityFiles = [...new Set([...explicit, ...config.identityFiles])];
    const jumpSpec = o.proxyJump ?? config.proxyJump;
    const jumps = jumpSpec === undefined || jumpSpec.toLowerCase() === 'none' ? [] : parseProxyJump(jumpSpec);
    if (jumps instanceof Error) throw new ConnectionError(o.host, `${o.host}: ${jumps.message}`, 'fix proxy_jump (or ProxyJump in ssh_config)');
    const strict: StrictHostKeyChecking =
      o.strictHostKeyChecking === undefined ? (config.strictHostKeyChecking ?? 'yes') : o.strictHostKeyChecking ? 'yes' : 'no';
    return {
      hostName: config.hostName ?? alias,
      port: o.port ?? config.port ?? 22,
      user: o.user ?? config.user ?? userInfo().username,
      identityFiles,
      defaultIdentities: identityFiles.length === 0,
      identitiesOnly: config.identitiesOnly ?? false,
      knownHostsFile: o.knownHostsFile ? expandTilde(o.knownHostsFile, home) : (config.userKnownHostsFile ?? join(home, '.ssh', 'known_hosts')),
      strict,
      jumps,
      connectTimeoutMs: o.connectTimeoutMs ?? (config.connectTimeout ? config.connectTimeout * 1000 : DEFAULT_CONNECT_TIMEOUT_MS),
      keepaliveIntervalMs: o.keepaliveIntervalMs ?? (config.serverAliveInterval !== undefined ? config.serverAliveInterval * 1000 : DEFAULT_KEEPALIVE_MS),
    };
  }

  /** "web1", "web1:2222" or "web1 (10.0.0.5:2222)": the inventory name and where it really points. */
  #where(ep: Endpoint): string {
    if (ep.hostName !== this.host) return `${this.host} (${ep.hostName}:${ep.port})`;
    return ep.port === 22 ? this.host : `${this.host}:${ep.port}`;
  }

  /**
   * Connect the last hop of the jump chain (through the earlier hops, like OpenSSH's -J). The hop
   * resolves its own ssh_config entry and has its host key checked; it shares this host's
   * known_hosts, strictness, key file, agent and timeouts, which the inventory set for the route.
   */
  async #connectJump(ep: Endpoint, where: string): Promise<SshTransport> {
    if (this.#jumpDepth >= MAX_JUMP_DEPTH) {
      throw new ConnectionError(this.host, `${where}: more than ${MAX_JUMP_DEPTH} jump hosts; ProxyJump loop in ssh_config?`, 'exclude the jump host from the ProxyJump entry, e.g. "Host * !bastion"');
    }
    const hop = ep.jumps[ep.jumps.length - 1] as JumpHop;
    const earlier = ep.jumps.slice(0, -1).map((h) => h.spec);
    const o = this.#options;
    const jump = new SshTransport(
      {
        host: hop.host,
        ...(hop.port ? { port: hop.port } : {}),
        ...(hop.user ? { user: hop.user } : {}),
        ...(earlier.length > 0 ? { proxyJump: earlier.join(',') } : {}),
        ...pick(o, ['identityFile', 'knownHostsFile', 'strictHostKeyChecking', 'sshConfigFile', 'agentSocket', 'connectTimeoutMs', 'keepaliveIntervalMs']),
        become: null,
      },
      this.#jumpDepth + 1,
    );
    try {
      await jump.connect();
      return jump;
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      throw new ConnectionError(this.host, `${where}: through jump host ${err.message}`, err.hint);
    }
  }

  /** TCP (or tunnel) + SSH handshake + authentication, all within connectTimeoutMs. */
  async #establish(ep: Endpoint, where: string, knownHosts: string, auth: AuthPlan, jump: SshTransport | undefined): Promise<Client> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), ep.connectTimeoutMs);
    const state = { phase: jump ? 'opening the tunnel through the jump host' : 'TCP connection' };
    try {
      const sock = jump ? await jump.#forward(ep.hostName, ep.port, deadline.signal) : await tcpConnect(ep.hostName, ep.port, deadline.signal);
      state.phase = 'SSH handshake';
      const client = new ssh2.Client();
      await this.#handshake(client, sock, ep, where, knownHosts, auth, !!jump, deadline.signal, state);
      return client;
    } catch (err) {
      if (deadline.signal.aborted) {
        const hint =
          state.phase === 'authentication'
            ? 'the server answered but did not finish authentication in time (slow PAM or reverse DNS on the host? UseDNS no); or raise connect_timeout'
            : `check that the host is up and port ${ep.port} is reachable from ${jump ? 'the jump host' : 'here'} (firewall, security group), or raise connect_timeout`;
        // Stuck before the server answered is the network; stuck in authentication is the server.
        throw new ConnectionError(this.host, `${where}: no SSH connection within ${formatMs(ep.connectTimeoutMs)} (stuck in: ${state.phase})`, hint, state.phase !== 'authentication');
      }
      if (err instanceof ConnectionError) throw err;
      throw describeNetworkError(this.host, where, ep, err);
    } finally {
      clearTimeout(timer);
    }
  }

  #handshake(
    client: Client,
    sock: Duplex,
    ep: Endpoint,
    where: string,
    knownHosts: string,
    auth: AuthPlan,
    viaJump: boolean,
    signal: AbortSignal,
    state: { phase: string },
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let hostKeyError: ConnectionError | undefined;
      let serverMethods: AuthenticationType[] | undefined;
      const attempts = [...auth.attempts];
      const tried: string[] = [];
      const notes = [...auth.notes];
      const verdicts = new Map<string, HostKeyVerdict>();

      let settled = false;
      const done = (err?: Error): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        client.removeListener('close', onClose);
        if (err) {
          client.destroy();
          reject(err);
        } else {
          resolve();
        }
      };
      const onAbort = (): void => done(new Error('timed out'));
      // Stays attached after the handshake (a no-op then): ssh2 emits 'error' events that would
      // otherwise crash the process; the owner records them separately.
      const onError = (err: Error & { level?: string }): void => {
        if (settled) return;
        // ssh2 reports a broken agent or a key it cannot sign with, then goes on to the next
        // method: keep it for the final message instead of failing the connection.
        if (err.level === 'agent' || (err.level === 'client-authentication' && !/All configured authentication methods failed/.test(err.message))) {
          notes.push(err.message);
          return;
        }
        if (hostKeyError) return done(hostKeyError);
        if (err.level === 'client-authentication') return done(authError(this.host, where, ep, tried, notes, serverMethods));
        done(describeNetworkError(this.host, where, ep, err));
      };
      const onClose = (): void =>
        done(hostKeyError ?? new ConnectionError(this.host, `${where}: the server closed the connection during the ${state.phase}`, `check that port ${ep.port} is an SSH server and look at its sshd log (MaxStartups, AllowUsers, DenyUsers)`));
      signal.addEventListener('abort', onAbort, { once: true });
      client.on('error', onError);
      client.once('close', onClose);
      client.once('handshake', () => {
        state.phase = 'authentication';
      });
      client.once('ready', () => done());

      const config: ConnectConfig = {
        sock,
        username: ep.user,
        keepaliveInterval: ep.keepaliveIntervalMs,
        keepaliveCountMax: KEEPALIVE_COUNT_MAX,
        readyTimeout: 0, // connectTimeoutMs covers the whole connection, see #establish
        algorithms: { kex: KEX, serverHostKey: hostKeyAlgorithms(knownHostKeyTypes(knownHosts, ep.hostName, ep.port)) },
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void): void => {
          // ssh2 calls this again on every rekey: decide (and record, for accept-new) only once.
          const id = key.toString('base64');
          let verdict = verdicts.get(id);
          if (!verdict) {
            verdict = verifyHostKey(this.host, where, ep, knownHosts, key, viaJump);
            verdicts.set(id, verdict);
            if (verdict.record) void recordHostKey(ep.knownHostsFile, verdict.record);
          }
          hostKeyError = verdict.error;
          verify(!verdict.error);
        },
        // Public keys only, and no initial "none" probe: saves a round trip and sshd's failure
        // delay on every connection (performance.md). Passwords are never used.
        authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler): void => {
          if (methodsLeft) serverMethods = methodsLeft;
          const attempt = methodsLeft && !methodsLeft.includes('publickey') ? undefined : attempts.shift();
          if (!attempt) return next(false as unknown as AuthenticationType); // ssh2 accepts false = "no more methods"; its types omit it
          tried.push(attempt.label);
          next(attempt.method);
        },
      };
      try {
        client.connect(config);
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** A direct-tcpip channel from this (jump) host to host:port, used as the next hop's socket. */
  #forward(host: string, port: number, signal: AbortSignal): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      const client = this.#client;
      if (!client) return reject(new ConnectionError(this.host, `jump host ${this.host} is not connected`));
      client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (signal.aborted) {
          stream?.destroy();
          return reject(new Error('timed out'));
        }
        if (err) {
          return reject(
            new ConnectionError(
              this.host,
              `jump host ${this.host} cannot open a connection to ${host}:${port}: ${err.message}`,
              `check that ${host}:${port} is reachable from the jump host and that its sshd allows TCP forwarding (AllowTcpForwarding)`,
            ),
          );
        }
        resolve(stream);
      });
    });
  }

  // ---- running scripts -------------------------------------------------------------------

  #exec(client: Client, command: string, script: string | Buffer, options: RunOptions): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const lost = (what: string): ConnectionError =>
        new ConnectionError(this.host, `${this.host}: ${what}${this.#lastError ? `: ${this.#lastError.message}` : ''}`, 'the host may have rebooted or the network dropped; run again');
      let stream: ClientChannel | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: unknown, result?: CommandResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (err === undefined && result) resolve(result);
        else reject(err);
      };
      const stop = (reason: unknown): void => {
        if (stream) {
          // OpenSSH >= 7.9 delivers the signal; closing the channel also cuts the script's stdio.
          try {
            stream.signal('KILL');
          } catch {
            // the channel may already be closing
          }
          stream.close();
        }
        finish(reason);
      };
      const onAbort = (): void => stop(options.signal?.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const err = new Error(`${this.host}: script did not finish within ${formatMs(options.timeoutMs ?? 0)}; it was stopped`);
          err.name = 'TimeoutError';
          stop(err);
        }, options.timeoutMs);
      }

      try {
        client.exec(command, (err, channel) => {
          if (err) return finish(lost(`cannot start the remote shell: ${err.message}`));
          stream = channel;
          if (settled) return stop(undefined);
          const out: Buffer[] = [];
          const errOut: Buffer[] = [];
          let exit: number | undefined;
          channel.on('data', (d: Buffer) => out.push(d));
          channel.stderr.on('data', (d: Buffer) => errOut.push(d));
          channel.on('exit', (code: number | null, signalName?: string) => {
            // ssh2 reports signals as "SIGKILL"; like a shell, report 128 + signal number.
            exit = code ?? 128 + (osConstants.signals[signalName as NodeJS.Signals] ?? 0);
          });
          channel.on('error', (e: Error) => finish(lost(`channel error: ${e.message}`)));
          channel.on('close', () => {
            if (exit === undefined) return finish(lost('connection lost while the script was running'));
            finish(undefined, { code: exit, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut) });
          });
          // The script travels as data on stdin, never on the command line.
          channel.end(script);
        });
      } catch (err) {
        finish(lost(`cannot start the remote shell: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  }
}

// ---- authentication ------------------------------------------------------------------------

interface AuthPlan {
  readonly attempts: readonly { label: string; method: AnyAuthMethod }[];
  /** Keys that could not be used and why, for the failure message. */
  readonly notes: readonly string[];
}

/** Key files first (explicit, then ssh_config, else OpenSSH defaults), then the agent. */
async function planAuth(ep: Endpoint, agentSocket: string | undefined): Promise<AuthPlan> {
  const attempts: { label: string; method: AnyAuthMethod }[] = [];
  const notes: string[] = [];
  const files = ep.defaultIdentities ? DEFAULT_IDENTITY_NAMES.map((n) => join(homedir(), '.ssh', n)) : ep.identityFiles;
  for (const file of files) {
    const data = await readOptional(file, null);
    if (data === undefined) {
      if (!ep.defaultIdentities) notes.push(`${file} not found`);
      continue;
    }
    const key = parsePrivateKey(data);
    if (key instanceof Error) {
      notes.push(/encrypted|passphrase/i.test(key.message) ? `${file} is passphrase-protected (load it into ssh-agent with ssh-add)` : `${file} is not a usable private key (${key.message})`);
      continue;
    }
    attempts.push({ label: `key ${file} (${key.type})`, method: { type: 'publickey', username: ep.user, key } });
  }
  if (ep.defaultIdentities && attempts.length === 0) notes.push(`no identity_file set and no ${DEFAULT_IDENTITY_NAMES.join('/')} in ~/.ssh`);
  if (ep.identitiesOnly && ep.identityFiles.length > 0) {
    notes.push('ssh-agent not used (IdentitiesOnly)');
  } else if (agentSocket) {
    attempts.push({ label: `ssh-agent keys (${agentSocket})`, method: { type: 'agent', username: ep.user, agent: agentSocket } });
  } else {
    notes.push('no ssh-agent (SSH_AUTH_SOCK is not set)');
  }
  return { attempts, notes };
}

function parsePrivateKey(data: Buffer): ParsedKey | Error {
  // The OpenSSH private key format yields an array (one key per file in practice); the types omit it.
  const parsed: ParsedKey | ParsedKey[] | Error = ssh2.utils.parseKey(data);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined) return new Error('no key in file');
  if (key instanceof Error) return key;
  if (!key.isPrivateKey()) return new Error('it is a public key');
  return key;
}

function authError(host: string, where: string, ep: Endpoint, tried: string[], notes: string[], serverMethods: AuthenticationType[] | undefined): ConnectionError {
  const offered = tried.length > 0 ? `tried publickey with ${tried.join(', ')}` : 'no key to offer';
  const server = serverMethods ? `; the server accepts: ${serverMethods.join(', ')}` : '';
  const extra = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  return new ConnectionError(
    host,
    `${where}: authentication failed for user ${ep.user}: ${offered}${server}${extra}`,
    `add the public key to ~${ep.user}/.ssh/authorized_keys on the host (e.g. ssh-copy-id -p ${ep.port} ${ep.user}@${ep.hostName}), or set user / identity_file, or load the key into ssh-agent; password authentication is not supported`,
  );
}

// ---- host keys -------------------------------------------------------------------------------

interface HostKeyVerdict {
  readonly error?: ConnectionError;
  /** A known_hosts line to append (StrictHostKeyChecking accept-new). */
  readonly record?: string;
}

function verifyHostKey(host: string, where: string, ep: Endpoint, knownHosts: string, key: Buffer, viaJump: boolean): HostKeyVerdict {
  const check = checkHostKey(knownHosts, ep.hostName, ep.port, key);
  const type = hostKeyType(key);
  const fingerprint = hostKeyFingerprint(key);
  const file = ep.knownHostsFile;
  const at = check.line === undefined ? file : `${file}:${check.line}`;
  // A revoked key is refused even when checking is off: someone explicitly distrusted it.
  if (check.status === 'revoked') {
    return { error: new ConnectionError(host, `${where}: the host key ${type} ${fingerprint} is marked @revoked in ${at}; refusing to connect`, 'the host needs a new host key; the revoked one must not be trusted again') };
  }
  if (check.status === 'match' || ep.strict === 'no') return {};
  const trust = viaJump
    ? `echo ${shQuote(knownHostsLine(ep.hostName, ep.port, key))} >> ${shQuote(file)}`
    : `ssh-keyscan -p ${ep.port} ${shQuote(ep.hostName)} >> ${shQuote(file)}`;
  const onHost = `on the host: ssh-keygen -lf /etc/ssh/ssh_host_${hostKeyFileStem(type)}_key.pub`;
  if (check.status === 'mismatch') {
    return {
      error: new ConnectionError(
        host,
        `${where}: HOST KEY CHANGED! The host presented ${type} key ${fingerprint}, which differs from the key recorded in ${at}. Someone could be intercepting the connection (man-in-the-middle attack), or the host was reinstalled.`,
        `do not connect until the new fingerprint is confirmed out of band (${onHost}); if the change is expected: ssh-keygen -R ${shQuote(knownHostsName(ep.hostName, ep.port))} -f ${shQuote(file)} && ${trust}`,
      ),
    };
  }
  if (ep.strict === 'accept-new') return { record: knownHostsLine(ep.hostName, ep.port, key) };
  return {
    error: new ConnectionError(
      host,
      `${where}: unknown host key ${type} ${fingerprint} (not in ${file})`,
      `check the fingerprint with the host's administrator (${onHost}), then trust it: ${trust}; or, for throw-away hosts only, set strict_host_key_checking: false`,
    ),
  };
}

/** Server host key algorithms, those we can verify first (OpenSSH orders them the same way). */
function hostKeyAlgorithms(knownTypes: string[]): ServerHostKeyAlgorithm[] {
  const preferred = knownTypes.flatMap((t): ServerHostKeyAlgorithm[] =>
    t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : HOST_KEY_ALGORITHMS.filter((a) => a === t),
  );
  return [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])];
}

function hostKeyFileStem(type: string): string {
  if (type === 'ssh-ed25519') return 'ed25519';
  if (type.startsWith('ecdsa-')) return 'ecdsa';
  return 'rsa';
}

/** accept-new: remember the key like OpenSSH does. A failure to write only loses the memory. */
async function recordHostKey(file: string, line: string): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await appendFile(file, `${line}\n`, { mode: 0o600 });
  } catch {
    // the connection itself is still verified as well as accept-new can; nothing to report to
  }
}

// ---- plumbing --------------------------------------------------------------------------------

function tcpConnect(host: string, port: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host, port });
    // Nagle + delayed ACK stalls small SSH exchanges by ~40 ms each (performance.md).
    sock.setNoDelay(true);
    const onAbort = (): void => {
      sock.destroy();
      reject(new Error('timed out'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    sock.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      sock.removeAllListeners('error');
      resolve(sock);
    });
  });
}

function describeNetworkError(host: string, where: string, ep: Endpoint, err: unknown): ConnectionError {
  const e = err instanceof Error ? (err as Error & { code?: string }) : new Error(String(err));
  const code = 'code' in e ? e.code : undefined;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new ConnectionError(host, `${where}: cannot resolve the address ${ep.hostName} (${code})`, 'check the host\'s address (or HostName in ssh_config) and DNS');
    case 'ECONNREFUSED':
      return new ConnectionError(host, `${where}: connection refused by ${ep.hostName}:${ep.port}`, `check that sshd runs on the host and listens on port ${ep.port} (or fix the port)`, true);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectionError(host, `${where}: no route to ${ep.hostName}:${ep.port} (${code})`, 'check the address and the network/VPN between here and the host', true);
    case 'ECONNRESET':
      return new ConnectionError(host, `${where}: the connection was reset during the SSH handshake`, `check that port ${ep.port} is an SSH server and look at its sshd log`, true);
    case 'ETIMEDOUT':
      return new ConnectionError(host, `${where}: the TCP connection to ${ep.hostName}:${ep.port} timed out`, `check that the host is up and port ${ep.port} is reachable from here`, true);
    default:
      return new ConnectionError(host, `${where}: SSH connection failed: ${e.message}`);
  }
}

/** File contents, or undefined when it does not exist / cannot be read. */
async function readOptional(path: string): Promise<string | undefined>;
async function readOptional(path: string, encoding: null): Promise<Buffer | undefined>;
async function readOptional(path: string, encoding: 'utf8' | null = 'utf8'): Promise<string | Buffer | undefined> {
  try {
    return encoding ? await readFile(path, encoding) : await readFile(path);
  } catch {
    return undefined;
  }
}

function endClient(client: Client): Promise<void> {
  return new Promise((resolve) => {
    // 'close' does not come when the socket is already gone: do not wait for it forever.
    const timer = setTimeout(resolve, 1000);
    timer.unref();
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${ms / 1000} s`;
}

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
