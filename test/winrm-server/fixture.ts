/** Starts a test server and makes WinrmTransports pointed at it; tests close both. */
import { decryptBody, ENCRYPTED_CONTENT_TYPE, encryptBody } from '../../src/transport/winrm/encryption.ts';
import { WinrmTransport, type WinrmTransportOptions } from '../../src/transport/winrm/transport.ts';
import { makeTestCertificates, type TestCertificates } from './certs.ts';
import { NtlmAcceptor } from './ntlm-acceptor.ts';
import { bootstrapHost, type PowerShellScriptHandler } from './scripted-host.ts';
import { WinrmTestServer, type WinrmTestServerOptions } from './server.ts';

export const USER = 'Administrator';
export const PASSWORD = 'Pa$$w0rd "quoted" <xml> & ünïcode';
export const PASSWORD_ENV = 'PROVISION_TEST_WINRM_PASSWORD';

let certs: TestCertificates | undefined;
export function testCertificates(): TestCertificates {
  certs ??= makeTestCertificates();
  return certs;
}

export interface Fixture {
  readonly server: WinrmTestServer;
  transport(options?: Partial<WinrmTransportOptions>): WinrmTransport;
  close(): Promise<void>;
}

export async function startFixture(
  run: PowerShellScriptHandler,
  options: Partial<WinrmTestServerOptions> & { scheme: 'http' | 'https' },
): Promise<Fixture> {
  const accounts = new Map([[USER, PASSWORD]]);
  const server = new WinrmTestServer({
    accounts,
    auth: ['basic', 'ntlm'],
    host: bootstrapHost(run),
    ...(options.scheme === 'https' ? { tls: { key: testCertificates().key, cert: testCertificates().cert } } : {}),
    // Over https the acceptor requires the client to bind to the TLS channel (CbtHardeningLevel=Strict).
    ntlm: { newAcceptor: (channelBindings) => new NtlmAcceptor(accounts, channelBindings ? { channelBindings } : {}), cipher: { contentType: ENCRYPTED_CONTENT_TYPE, encrypt: encryptBody, decrypt: decryptBody } },
    ...options,
  });
  const port = await server.listen();
  const transports: WinrmTransport[] = [];
  return {
    server,
    transport: (o = {}) => {
      const t = new WinrmTransport({
        host: 'win1',
        address: '127.0.0.1',
        scheme: options.scheme,
        port,
        user: USER,
        auth: options.scheme === 'https' ? 'basic' : 'ntlm',
        passwordEnv: PASSWORD_ENV,
        env: { [PASSWORD_ENV]: PASSWORD },
        ...(options.scheme === 'https' ? { caFile: testCertificates().caFile } : {}),
        busyRetryDelayMs: 10,
        ...o,
      });
      transports.push(t);
      return t;
    },
    close: async () => {
      await Promise.allSettled(transports.map((t) => t.close()));
      await server.close();
    },
  };
}

export function ok(stdout: string, stderr = '', exitCode = 0): { stdout: Buffer; stderr: Buffer; exitCode: number } {
  return { stdout: Buffer.from(stdout, 'utf8'), stderr: Buffer.from(stderr, 'utf8'), exitCode };
}
