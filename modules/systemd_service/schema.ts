/** `systemd_service`: the desired-state type, its JSON Schema, defaults and semantic checks. */
import { checkHealth, healthSchema, verifySchema, type HealthAttributes } from '../../src/core/health.ts';
import { absolutePath, ensure, ownerRef } from '../../src/core/schema-fragments.ts';

export type ServiceType = 'simple' | 'exec' | 'forking' | 'oneshot' | 'notify';
export type RestartPolicy = 'always' | 'on-failure' | 'no';

export interface SystemdServiceDesired extends HealthAttributes {
  /** Unit name without ".service". */
  readonly name: string;
  readonly ensure?: 'present' | 'absent';
  readonly description?: string;
  /** Program (absolute path) and arguments, each element one argv entry. */
  readonly exec_start?: readonly string[];
  readonly working_directory?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly group?: string;
  readonly after?: readonly string[];
  readonly wants?: readonly string[];
  readonly type?: ServiceType;
  readonly restart?: RestartPolicy;
  readonly restart_sec?: number;
  readonly start_limit_burst?: number;
  readonly start_limit_interval_sec?: number;
  readonly enabled?: boolean;
  readonly state?: 'running' | 'stopped';
  /** Files whose change restarts the service. */
  readonly watch?: readonly string[];
  // Below: set only by the `service` kind, which drives this module's rendering (not in the schema).
  readonly restart_steps?: number;
  readonly restart_max_delay_sec?: number;
  /** StandardOutput=/StandardError= values, e.g. "journal" or "append:/var/log/x/stdout.log". */
  readonly standard_output?: string;
  readonly standard_error?: string;
  readonly no_new_privileges?: boolean;
  readonly protect_system?: 'true' | 'full' | 'strict';
  readonly private_tmp?: boolean;
}

export const UNIT_DIR = '/etc/systemd/system';
export const ENV_DIR = '/etc/provision/env';
export const HEADER = '# Managed by provision. Local changes will be overwritten.';
/** The target `enabled: true` hooks the service into. */
export const WANTED_BY = 'multi-user.target';

export const unitFileName = (name: string): string => `${name}.service`;
export const unitPath = (name: string): string => `${UNIT_DIR}/${name}.service`;
export const envPath = (name: string): string => `${ENV_DIR}/${name}.env`;

/** The desired state with every default filled in. */
export interface ServiceSettings {
  readonly name: string;
  readonly present: boolean;
  readonly type: ServiceType;
  readonly restart: RestartPolicy;
  readonly restart_sec: number;
  readonly enabled: boolean;
  readonly state: 'running' | 'stopped';
  readonly environment: Readonly<Record<string, string>>;
}

export function settings(d: SystemdServiceDesired): ServiceSettings {
  return {
    name: d.name,
    present: d.ensure !== 'absent',
    type: d.type ?? 'simple',
    restart: d.restart ?? 'on-failure',
    restart_sec: d.restart_sec ?? 1,
    enabled: d.enabled ?? true,
    state: d.state ?? 'running',
    environment: d.environment ?? {},
  };
}

/** Control characters cannot appear in a unit file line (systemd has no escape for them there). */
const NO_CONTROL = '[^\\x00-\\x1f\\x7f]';

/** An absolute, normalised path without control characters or "//" (systemd simplifies those). */
const unitPathPattern = `^/(?!.*(^|/)\\.\\.?(/|$))(?!.*//)${NO_CONTROL}*[^/\\\\ \\x00-\\x1f\\x7f]$`;

/** What exec_start[0] must look like (JSON Schema cannot constrain only the first item under Ajv's strict tuples). */
const PROGRAM = new RegExp(unitPathPattern, 'u');

const unitRef = {
  type: 'string',
  // systemd's unit-name characters; "\" for escaped names such as dev-disk-by\x2duuid-....device.
  pattern: '^(?![-.])[A-Za-z0-9:_.@\\\\-]+\\.(service|socket|target|device|mount|automount|swap|path|timer|slice|scope)$',
  maxLength: 255,
  description: 'A unit name with its suffix, e.g. "network-online.target".',
} as const;

export const schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      pattern: '^(?!-)[A-Za-z0-9:_.\\-@]+$',
      maxLength: 247,
      description: 'The unit name without ".service"; the unit file is /etc/systemd/system/<name>.service.',
    },
    ensure,
    description: {
      type: 'string',
      minLength: 1,
      // systemd strips surrounding blanks and reads a trailing "\" as a line continuation.
      pattern: `^(?! )${NO_CONTROL}*(?<![ \\\\])$`,
      description: 'Description= of the unit (one line; "%" is written as "%%").',
    },
    exec_start: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^[^\\x00]*$' },
      description: 'The program (an absolute path) and its arguments, one list element per argument: no shell, no word splitting; "%" and "$" are passed literally.',
    },
    working_directory: {
      type: 'string',
      pattern: `^/$|${unitPathPattern}`,
      description: 'WorkingDirectory=: an absolute path.',
    },
    environment: {
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'string', pattern: '^[^\\x00]*$' },
      description: `Environment variables, written to ${ENV_DIR}/<name>.env (mode 0600) and loaded with EnvironmentFile=, never into the unit (systemctl show reveals Environment= to every user).`,
    },
    user: { ...ownerRef, description: 'User= (name or uid); the user resource of that name is an automatic dependency.' },
    group: { ...ownerRef, description: 'Group= (name or gid); the group resource of that name is an automatic dependency.' },
    after: { type: 'array', items: unitRef, uniqueItems: true, description: 'After=: units this one starts after.' },
    wants: { type: 'array', items: unitRef, uniqueItems: true, description: 'Wants=: units started along with this one.' },
    type: { type: 'string', enum: ['simple', 'exec', 'forking', 'oneshot', 'notify'], default: 'simple', description: 'Type= (oneshot units get RemainAfterExit=yes, so "running" means "ran successfully").' },
    restart: { type: 'string', enum: ['always', 'on-failure', 'no'], default: 'on-failure', description: 'Restart=.' },
    restart_sec: { type: 'number', minimum: 0, maximum: 1e9, default: 1, description: 'RestartSec= in seconds (microsecond precision).' },
    start_limit_burst: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'StartLimitBurst=: starts allowed within start_limit_interval_sec.' },
    start_limit_interval_sec: { type: 'number', minimum: 0, maximum: 1e9, description: 'StartLimitIntervalSec= in seconds; 0 disables the start rate limit.' },
    enabled: { type: 'boolean', default: true, description: `Start at boot (WantedBy=${WANTED_BY}).` },
    state: { type: 'string', enum: ['running', 'stopped'], default: 'running', description: 'Whether the service is running now.' },
    watch: {
      type: 'array',
      items: absolutePath,
      uniqueItems: true,
      description: 'Files whose change (by a resource of this playbook) restarts the service.',
    },
    health: healthSchema,
    verify: verifySchema,
  },
} as const;

export function check(d: SystemdServiceDesired): { attribute: string; message: string; hint?: string }[] {
  const problems: { attribute: string; message: string; hint?: string }[] = [];
  const s = settings(d);
  if (d.name.endsWith('.service')) {
    problems.push({ attribute: 'name', message: `the name "${d.name}" ends with ".service"`, hint: 'Give the name without the suffix; the module appends ".service".' });
  }
  if (d.name.endsWith('@') || (d.name.match(/@/g) ?? []).length > 1) {
    problems.push({ attribute: 'name', message: `"${d.name}" is a template name, which cannot be started`, hint: 'Name an instance, e.g. "worker@1".' });
  }
  const program = d.exec_start?.[0];
  if (s.present && program === undefined) {
    problems.push({ attribute: 'exec_start', message: 'exec_start is required unless ensure is absent' });
  }
  if (program !== undefined && !PROGRAM.test(program)) {
    problems.push({
      attribute: 'exec_start.0',
      message: `the program ${JSON.stringify(program)} is not an absolute, normalised path without control characters`,
      hint: 'Give the full path, e.g. /usr/bin/python3; arguments follow as further list elements.',
    });
  }
  if (s.type === 'oneshot' && s.restart === 'always') {
    problems.push({ attribute: 'restart', message: 'systemd refuses Restart=always for Type=oneshot services', hint: 'Use restart: on-failure or no.' });
  }
  const strings: [string, string][] = [
    ...(d.exec_start ?? []).map((v, i): [string, string] => [`exec_start.${i}`, v]),
    ...Object.entries(s.environment).map(([k, v]): [string, string] => [`environment.${k}`, v]),
    ...(d.description === undefined ? [] : [['description', d.description] as [string, string]]),
  ];
  for (const [attribute, value] of strings) {
    if (!value.isWellFormed()) problems.push({ attribute, message: 'the value is not valid Unicode (lone surrogate)' });
  }
  problems.push(...checkHealth(d, s.present && s.state === 'running'));
  return problems;
}
