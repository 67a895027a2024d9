/**
 * The inventory: hosts, groups, variables and connection settings, in the shape of an Ansible
 * YAML inventory. Precedence, lowest first: all, parent groups, child groups (same depth:
 * alphabetical), the host itself.
 */
import { dirname, resolve } from 'node:path';
import { hasErrors, type Diagnostic } from './diagnostics.ts';
import { schemaDiagnostics } from './schema-errors.ts';
import { validator } from './schema.ts';
import { readYamlFile, type YamlSource } from './yaml-source.ts';

/** connection.winrm of the inventory (see schemas/definitions.schema.json). */
export interface WinrmSettings {
  readonly scheme?: 'https' | 'http';
  readonly port?: number;
  readonly path?: string;
  readonly auth?: 'ntlm' | 'basic';
  readonly password_env: string;
  readonly ca_file?: string;
  readonly validate_certs?: boolean;
  readonly allow_unencrypted?: boolean;
  readonly operation_timeout?: number;
}

export interface ConnectionSettings {
  readonly transport?: 'ssh' | 'local' | 'winrm';
  readonly shell?: 'sh' | 'powershell';
  readonly winrm?: WinrmSettings;
  readonly port?: number;
  readonly user?: string;
  readonly identity_file?: string;
  readonly known_hosts_file?: string;
  readonly strict_host_key_checking?: boolean;
  readonly ssh_config_file?: string | null;
  readonly proxy_jump?: string;
  readonly become?: boolean;
  readonly become_user?: string;
  readonly connect_timeout?: number;
  readonly keepalive_interval?: number;
  /** Connection attempts after the first one on transient network failures. */
  readonly retries?: number;
  /** Seconds before the first retry; doubles with each further retry. */
  readonly retry_delay?: number;
}

export type Vars = Readonly<Record<string, unknown>>;

export interface InventoryHost {
  readonly name: string;
  readonly address: string;
  readonly groups: readonly string[];
  readonly vars: Vars;
  readonly connection: ConnectionSettings;
}

export interface Inventory {
  /** Where it came from, for messages ("(default: localhost)" when none was given). */
  readonly origin: string;
  readonly hosts: ReadonlyMap<string, InventoryHost>;
  readonly groups: ReadonlyMap<string, ReadonlySet<string>>;
}

interface RawHost { address?: string; vars?: Vars; connection?: ConnectionSettings }
interface RawGroup { hosts?: Record<string, RawHost | null>; children?: Record<string, RawGroup | null>; vars?: Vars; connection?: ConnectionSettings }

/** Used when no inventory is given: the controller itself, reached without SSH. */
export function defaultInventory(): Inventory {
  return {
    origin: '(default: localhost)',
    hosts: new Map([['localhost', { name: 'localhost', address: 'localhost', groups: ['all'], vars: {}, connection: { transport: 'local' } }]]),
    groups: new Map([['all', new Set(['localhost'])]]),
  };
}

export function loadInventory(file: string): { inventory?: Inventory; diagnostics: Diagnostic[] } {
  const { source, diagnostics } = readYamlFile(file);
  if (!source) return { diagnostics };
  const validate = validator('inventory.schema.json');
  if (!validate(source.data)) {
    return { diagnostics: [...diagnostics, ...schemaDiagnostics(validate.errors ?? [], source)] };
  }
  return buildInventory(source, resolve(dirname(file)), diagnostics);
}

interface Layer { depth: number; group: string; vars: Vars; connection: ConnectionSettings }

function buildInventory(src: YamlSource, baseDir: string, diagnostics: Diagnostic[]): { inventory?: Inventory; diagnostics: Diagnostic[] } {
  const root = (src.data as { all: RawGroup }).all;
  const hostNames = new Set<string>(); // in inventory order
  const own = new Map<string, RawHost[]>();
  const groups = new Map<string, Set<string>>();
  // Each group's own settings, at the depth it was first seen; a host gets those of every group it is in.
  const groupLayer = new Map<string, Layer>();
  const visiting: string[] = [];

  const walk = (name: string, g: RawGroup, depth: number, ancestors: string[]): void => {
    if (visiting.includes(name)) {
      diagnostics.push({ severity: 'error', location: { file: src.file, line: 1, column: 1 }, path: '', message: `group ${name} contains itself (${[...visiting, name].join(' -> ')})` });
      return;
    }
    visiting.push(name);
    if (!groups.has(name)) groups.set(name, new Set<string>());
    if (!groupLayer.has(name)) groupLayer.set(name, { depth, group: name, vars: g.vars ?? {}, connection: g.connection ?? {} });
    for (const [hostName, h] of Object.entries(g.hosts ?? {})) {
      hostNames.add(hostName);
      for (const gName of [name, ...ancestors]) groups.get(gName)?.add(hostName);
      if (h) own.set(hostName, [...(own.get(hostName) ?? []), h]);
    }
    for (const [childName, child] of Object.entries(g.children ?? {})) walk(childName, child ?? {}, depth + 1, [name, ...ancestors]);
    visiting.pop();
  };
  walk('all', root, 0, []);

  const hosts = new Map<string, InventoryHost>();
  for (const hostName of hostNames) {
    const memberOf = [...groups.entries()].filter(([, m]) => m.has(hostName)).map(([g]) => g);
    const ordered = memberOf
      .map((g) => groupLayer.get(g))
      .filter((l): l is Layer => l !== undefined)
      .sort((a, b) => a.depth - b.depth || a.group.localeCompare(b.group));
    let vars: Record<string, unknown> = {};
    let connection: ConnectionSettings = {};
    let address: string | undefined;
    for (const l of ordered) {
      vars = { ...vars, ...l.vars };
      connection = mergeConnection(connection, l.connection);
    }
    for (const h of own.get(hostName) ?? []) {
      vars = { ...vars, ...h.vars };
      connection = mergeConnection(connection, h.connection);
      address = h.address ?? address;
    }
    connection = resolvePaths(connection, baseDir);
    hosts.set(hostName, { name: hostName, address: address ?? hostName, groups: memberOf.sort(), vars, connection });
  }
  groups.set('all', new Set(hosts.keys()));
  if (hasErrors(diagnostics)) return { diagnostics };
  return { inventory: { origin: src.file, hosts, groups }, diagnostics };
}

/** Later settings win; the winrm block merges key by key, so a group can set password_env and a host its port. */
function mergeConnection(a: ConnectionSettings, b: ConnectionSettings | undefined): ConnectionSettings {
  if (!b) return a;
  const merged = { ...a, ...b };
  return a.winrm && b.winrm ? { ...merged, winrm: { ...a.winrm, ...b.winrm } } : merged;
}

/** Relative key and known_hosts paths are relative to the inventory file, like Ansible's. */
function resolvePaths(c: ConnectionSettings, baseDir: string): ConnectionSettings {
  const fix = (p: string | undefined): string | undefined => (p === undefined || p.startsWith('~') || p.startsWith('/') ? p : resolve(baseDir, p));
  return {
    ...c,
    ...(c.identity_file !== undefined ? { identity_file: fix(c.identity_file) } : {}),
    ...(c.known_hosts_file !== undefined ? { known_hosts_file: fix(c.known_hosts_file) } : {}),
    ...(typeof c.ssh_config_file === 'string' ? { ssh_config_file: fix(c.ssh_config_file) } : {}),
    ...(c.winrm?.ca_file !== undefined ? { winrm: { ...c.winrm, ca_file: fix(c.winrm.ca_file) } } : {}),
  };
}

/**
 * Select hosts by pattern: names or groups, comma lists, globs (* and ?), `!x` to exclude.
 * Returns host names in inventory order; unknown plain names are reported.
 */
export function selectHosts(inv: Inventory, pattern: string | readonly string[]): { hosts: string[]; unknown: string[] } {
  const parts = (Array.isArray(pattern) ? pattern : String(pattern).split(',')).map((p) => p.trim()).filter(Boolean);
  const include = new Set<string>();
  const exclude = new Set<string>();
  const unknown: string[] = [];
  for (const part of parts) {
    const negative = part.startsWith('!');
    const p = negative ? part.slice(1) : part;
    const matched = match(inv, p);
    if (matched.length === 0 && !/[*?]/.test(p)) unknown.push(p);
    for (const h of matched) (negative ? exclude : include).add(h);
  }
  const hosts = [...inv.hosts.keys()].filter((h) => include.has(h) && !exclude.has(h));
  return { hosts, unknown };
}

function match(inv: Inventory, p: string): string[] {
  const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const out = new Set<string>();
  for (const [g, members] of inv.groups) if (re.test(g)) members.forEach((h) => out.add(h));
  for (const h of inv.hosts.keys()) if (re.test(h)) out.add(h);
  return [...out];
}

/** The operating system a host runs, as the inventory says how to reach it: PowerShell means Windows. */
export function hostOs(host: InventoryHost): 'linux' | 'windows' {
  return host.connection.transport === 'winrm' || host.connection.shell === 'powershell' ? 'windows' : 'linux';
}
