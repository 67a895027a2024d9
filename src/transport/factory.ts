/** Picks and configures the transport for an inventory host. */
import type { InventoryHost } from '../config/inventory.ts';
import { LocalTransport } from './local.ts';
import { SshTransport } from './ssh.ts';
import type { Transport } from './transport.ts';

export interface TransportOverrides {
  /** --insecure-skip-host-key-check style overrides from the command line. */
  readonly strictHostKeyChecking?: boolean;
}

export function transportFor(host: InventoryHost, overrides: TransportOverrides = {}): Transport {
  const c = host.connection;
  const become = c.become || c.become_user ? (c.become_user ? { user: c.become_user } : {}) : null;
  if (c.transport === 'local') return new LocalTransport({ host: host.name, become });
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
  });
}
