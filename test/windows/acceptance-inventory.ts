/**
 * The inventory of the Windows acceptance run, from the environment. Kept apart from the suite so
 * a unit test can check the playbooks against the same inventory shape.
 */
import { stringify } from 'yaml';

export const ACCEPTANCE_ENV = {
  host: 'PROVISION_WINDOWS_HOST',
  user: 'PROVISION_WINDOWS_USER',
  password: 'PROVISION_WINDOWS_PASSWORD',
  scheme: 'PROVISION_WINDOWS_SCHEME',
  auth: 'PROVISION_WINDOWS_AUTH',
  caFile: 'PROVISION_WINDOWS_CA_FILE',
  validateCerts: 'PROVISION_WINDOWS_VALIDATE_CERTS',
  nssm: 'PROVISION_WINDOWS_NSSM',
} as const;

export interface AcceptanceTarget {
  readonly host: string;
  readonly user: string;
  readonly scheme: 'https' | 'http';
  readonly auth: 'ntlm' | 'basic';
  readonly caFile?: string;
  readonly validateCerts: boolean;
  readonly nssm: string;
  /** A suffix that keeps this run's names apart from earlier runs. */
  readonly run: string;
}

/** The target, or the list of variables that are missing. */
export function acceptanceTarget(env: NodeJS.ProcessEnv, run: string): AcceptanceTarget | string[] {
  const missing = [ACCEPTANCE_ENV.host, ACCEPTANCE_ENV.user, ACCEPTANCE_ENV.password, ACCEPTANCE_ENV.nssm].filter((k) => !env[k]);
  if (missing.length > 0) return missing;
  const scheme = env[ACCEPTANCE_ENV.scheme] === 'http' ? 'http' : 'https';
  return {
    host: env[ACCEPTANCE_ENV.host] as string,
    user: env[ACCEPTANCE_ENV.user] as string,
    scheme,
    auth: env[ACCEPTANCE_ENV.auth] === 'basic' ? 'basic' : 'ntlm',
    ...(env[ACCEPTANCE_ENV.caFile] ? { caFile: env[ACCEPTANCE_ENV.caFile] } : {}),
    validateCerts: env[ACCEPTANCE_ENV.validateCerts] !== 'false',
    nssm: env[ACCEPTANCE_ENV.nssm] as string,
    run,
  };
}

export function acceptanceInventory(t: AcceptanceTarget): string {
  return stringify({
    all: {
      connection: {
        transport: 'winrm',
        user: t.user,
        winrm: {
          scheme: t.scheme,
          auth: t.auth,
          password_env: ACCEPTANCE_ENV.password,
          validate_certs: t.validateCerts,
          ...(t.caFile ? { ca_file: t.caFile } : {}),
        },
      },
      vars: { run: t.run, nssm: t.nssm },
      hosts: { win: { address: t.host } },
    },
  });
}
