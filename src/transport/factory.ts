/** Picks and configures the transport for an inventory host. */
import type { InventoryHost } from '../config/inventory.ts';
import { LocalPowerShellTransport } from './local-powershell.ts';
import { LocalTransport } from './local.ts';
import { SshTransport } from './ssh.ts';
import { ConnectionError, type Transport } from './transport.ts';
import { WinrmTransport } from './winrm/transport.ts';

export interface TransportOverrides {
  /** --insecure-skip-host-key-check style overrides from the command line. */
  readonly strictHostKeyChecking?: boolean;
}

export function transportFor(host: InventoryHost, overrides: TransportOverrides = {}): Transport {
  const c = host.connection;
  const become = c.become || c.become_user ? (c.become_user ? { user: c.become_user } : {}) : null;
  if (c.transport === 'winrm') return winrmTransport(host);
  if (c.transport === 'local') {
    if (c.shell === 'powershell') {
      if (become) throw new ConnectionError(host.name, `${host.name}: become is not supported with shell: powershell`, 'remove become/become_user; run provision as the account that should make the changes');
      return new LocalPowerShellTransport({ host: host.name });
    }
    return new LocalTransport({ host: host.name, become });
  }
  return new SshTransport({
    host: host.name,
    address: host.address,
    port: c.port,
    user: c.user,
    identityFile: c.identity_file,
    knownHostsFile: c.known_hosts_file,
    strictHostKeyChecking: overrides.strictHostKeyChecking ?? c.strict_host_key_checking,
    sshConfigFile: c.ssh_config_file,
    proxyJump: c.proxy_jump,
    become,
    connectTimeoutMs: c.connect_timeout === undefined ? undefined : c.connect_timeout * 1000,
    keepaliveIntervalMs: c.keepalive_interval === undefined ? undefined : c.keepalive_interval * 1000,
    shell: c.shell,
  });
}

function winrmTransport(host: InventoryHost): WinrmTransport {
  const c = host.connection;
  const w = c.winrm;
  const fix = (what: string, example: string): ConnectionError =>
    new ConnectionError(host.name, `${host.name}: transport winrm needs ${what}`, `set it in the inventory for this host or its group, e.g. ${example}`);
  if (!c.user) throw fix('connection.user', 'connection: { user: Administrator }');
  if (!w?.password_env) throw fix('connection.winrm.password_env (the name of the environment variable holding the password)', 'connection: { winrm: { password_env: WINRM_PASSWORD } }');
  if (c.shell === 'sh') throw new ConnectionError(host.name, `${host.name}: transport winrm always uses PowerShell, but shell: sh is set`, 'remove connection.shell or set it to powershell for this host');
  if (c.become || c.become_user) throw new ConnectionError(host.name, `${host.name}: become is not supported with transport winrm`, 'remove become/become_user; connect as an account with the rights the playbook needs');
  return new WinrmTransport({
    host: host.name,
    address: host.address,
    scheme: w.scheme,
    port: w.port,
    path: w.path,
    user: c.user,
    auth: w.auth,
    passwordEnv: w.password_env,
    caFile: w.ca_file,
    validateCerts: w.validate_certs,
    allowUnencrypted: w.allow_unencrypted,
    operationTimeoutS: w.operation_timeout,
  });
}
