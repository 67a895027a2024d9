/**
 * Inventories for end-to-end tests: the booted test hosts, reached as root over SSH with the
 * harness's key and known_hosts, and no user ssh_config in the way.
 */
import { stringify } from 'yaml';
import type { TestFleet } from './hosts.ts';

export interface FleetInventoryOptions {
  /** Variables per host, by index into fleet.hosts. */
  readonly hostVars?: (index: number) => Record<string, unknown>;
  /** Connection settings merged over the defaults (user root, harness key, known_hosts). */
  readonly connection?: Record<string, unknown>;
  /** Extra hosts (e.g. an unreachable one), by name. */
  readonly extraHosts?: Record<string, Record<string, unknown>>;
  /** Variables for every host. */
  readonly vars?: Record<string, unknown>;
}

export function fleetInventory(fleet: TestFleet, options: FleetInventoryOptions = {}): string {
  const hosts: Record<string, Record<string, unknown>> = { ...options.extraHosts };
  fleet.hosts.forEach((h, i) => {
    const vars = options.hostVars?.(i);
    hosts[h.name] = { address: h.address, ...(vars ? { vars } : {}) };
  });
  return stringify({
    all: {
      connection: {
        user: 'root',
        identity_file: fleet.hosts[0]?.privateKeyPath,
        known_hosts_file: fleet.knownHostsPath,
        ssh_config_file: null,
        connect_timeout: 3,
        ...options.connection,
      },
      ...(options.vars ? { vars: options.vars } : {}),
      hosts,
    },
  });
}
