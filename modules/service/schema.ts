/** `service`: the common model every autostart method is driven by, its schema, defaults and checks. */
import { checkHealth, healthSchema, verifySchema, type HealthAttributes } from '../../src/core/health.ts';
import { absolutePath, ensure, ownerRef } from '../../src/core/schema-fragments.ts';
import { schema as systemdSchema } from '../systemd_service/schema.ts';
import { windowsChecks } from './windows/check.ts';
import { windowsPath, windowsSchema, type WindowsDesired } from './windows/schema.ts';

export type LinuxMethod = 'systemd' | 'sysv' | 'cron-reboot' | 'supervisor';
export type WindowsMethod = 'windows-service' | 'nssm' | 'scheduled-task';
export type Method = LinuxMethod | WindowsMethod;
export const LINUX_METHODS: readonly LinuxMethod[] = ['systemd', 'sysv', 'cron-reboot', 'supervisor'];
export const WINDOWS_METHODS: readonly WindowsMethod[] = ['windows-service', 'nssm', 'scheduled-task'];
export const METHODS: readonly Method[] = [...LINUX_METHODS, ...WINDOWS_METHODS];
export const isWindowsMethod = (m: Method): m is WindowsMethod => (WINDOWS_METHODS as readonly string[]).includes(m);
export type Policy = 'always' | 'on-failure' | 'never';

export interface ServiceDesired extends HealthAttributes {
  readonly name: string;
  readonly ensure?: 'present' | 'absent';
  readonly description?: string;
  /** Program (absolute path) and arguments. */
  readonly command?: readonly string[];
  readonly working_directory?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly group?: string;
  readonly log?: { readonly destination?: 'journal' | 'files'; readonly directory?: string };
  readonly wait_for_network?: boolean;
  readonly restart?: {
    readonly policy?: Policy;
    readonly delay?: number;
    readonly backoff?: { readonly max_delay: number; readonly steps?: number };
    readonly start_limit?: { readonly burst: number; readonly interval: number };
    readonly allow_downgrade?: boolean;
  };
  readonly autostart?: { readonly method?: Method };
  readonly enabled?: boolean;
  readonly state?: 'running' | 'stopped';
  readonly hardening?: { readonly no_new_privileges?: boolean; readonly protect_system?: 'true' | 'full' | 'strict'; readonly private_tmp?: boolean };
  readonly numprocs?: number;
  readonly reads?: readonly string[];
  readonly writes?: readonly string[];
  readonly windows?: WindowsDesired;
}

/** The desired state with defaults filled in. */
export interface Settings {
  readonly name: string;
  readonly present: boolean;
  readonly method: Method;
  readonly enabled: boolean;
  readonly state: 'running' | 'stopped';
  readonly environment: Readonly<Record<string, string>>;
  readonly policy: Policy;
  /** undefined: the method's own default (1 s, or at once for supervisor). */
  readonly delay: number | undefined;
  readonly log: 'journal' | 'files';
  readonly logDirectory: string;
  readonly numprocs: number;
}

export function settings(d: ServiceDesired): Settings {
  return {
    name: d.name,
    present: d.ensure !== 'absent',
    method: d.autostart?.method ?? 'systemd',
    enabled: d.enabled ?? true,
    state: d.state ?? 'running',
    environment: d.environment ?? {},
    policy: d.restart?.policy ?? 'on-failure',
    delay: d.restart?.delay,
    log: d.log?.destination ?? 'journal',
    logDirectory: d.log?.directory ?? `/var/log/${d.name}`,
    numprocs: d.numprocs ?? 1,
  };
}

const seconds = (description: string): Record<string, unknown> => ({ type: 'number', minimum: 0, maximum: 1e6, description });

export const schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      maxLength: 64,
      description: 'The service name: the systemd unit, init script, supervisor program and crontab marker are named after it (Windows: the SCM service or the scheduled task).',
    },
    ensure: { ...ensure, description: 'present (default); absent stops the service and removes every registration, file and crontab line provision created for it.' },
    description: { ...systemdSchema.properties.description, description: 'One line describing the service.' },
    command: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^[^\\x00]*$' },
      description: 'The program (an absolute path; on Windows C:\\... or \\\\server\\share\\...) and its arguments, one list element per argument: no shell, no word splitting (Windows: provision writes the command line with the quoting programs split it by).',
    },
    working_directory: {
      anyOf: [systemdSchema.properties.working_directory, windowsPath],
      description: 'Working directory of the program (Windows: a path like C:\\app, methods nssm and scheduled-task); the directory resource of that path is an automatic dependency.',
    },
    environment: {
      ...systemdSchema.properties.environment,
      description: 'Environment variables. Values from {{env "X"}} are secrets: redacted in plans, kept in root-only files (a 0600 env file for systemd, a 0640 root:<group> spec file for sysv/cron-reboot, a 0600 program file for supervisor). Windows: method nssm only (AppEnvironmentExtra, in the service\'s registry key, which local users can read).',
    },
    user: { ...ownerRef, description: 'Run account (name or uid); the user resource of that name is an automatic dependency.' },
    group: { ...ownerRef, description: 'Run group (name or gid; default: the user\'s primary group); the group resource is an automatic dependency.' },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: {
        destination: { type: 'string', enum: ['journal', 'files'], default: 'journal', description: 'journal (default; on Windows: no redirection) or files (stdout.log and stderr.log in log.directory; Windows: method nssm, with windows.nssm.rotation).' },
        directory: { anyOf: [absolutePath, windowsPath], description: 'Directory of the log files (default /var/log/<name>; on Windows (nssm) C:\\ProgramData\\<name>\\logs), created owned by the run account.' },
      },
      description: 'Where stdout and stderr go.',
    },
    wait_for_network: { type: 'boolean', default: false, description: 'Start after the network is online (systemd: After=/Wants=network-online.target; sysv: Required-Start: $network; cron-reboot and supervisor cannot wait and are refused unless restart.allow_downgrade).' },
    restart: {
      type: 'object',
      additionalProperties: false,
      properties: {
        policy: { type: 'string', enum: ['always', 'on-failure', 'never'], default: 'on-failure', description: 'When the program is started again after it ended.' },
        delay: seconds('Seconds between the end of the program and its restart (default 1; supervisor restarts at once and cannot be given a delay).'),
        backoff: {
          type: 'object',
          additionalProperties: false,
          required: ['max_delay'],
          properties: {
            max_delay: seconds('The delay doubles (systemd: grows in `steps` steps) after each restart up to this many seconds.'),
            steps: { type: 'integer', minimum: 1, maximum: 1000, default: 5, description: 'systemd RestartSteps= (systemd 254 or newer).' },
          },
          description: 'A growing restart delay. systemd needs version 254 (RestartSteps=/RestartMaxDelaySec=); on older systemd the plan refuses unless allow_downgrade.',
        },
        start_limit: {
          type: 'object',
          additionalProperties: false,
          required: ['burst', 'interval'],
          properties: {
            burst: { type: 'integer', minimum: 1, maximum: 1000000, description: 'Starts allowed within interval; one more and the service stays down.' },
            interval: { type: 'integer', minimum: 1, maximum: 1000000, description: 'The interval in seconds.' },
          },
          description: 'A start rate limit.',
        },
        allow_downgrade: { type: 'boolean', default: false, description: 'Where the method cannot express part of the policy, apply what it can and warn instead of refusing.' },
      },
      description: 'The restart policy, one schema for every method.',
    },
    autostart: {
      type: 'object',
      additionalProperties: false,
      properties: {
        method: { type: 'string', enum: [...METHODS], default: 'systemd', description: 'How the service starts at boot: systemd, sysv, cron-reboot, supervisor (Linux) or windows-service (the Service Control Manager), nssm, scheduled-task (Windows; settings under `windows`). Changing it removes the old registration and creates the new one in one plan.' },
      },
      description: 'How the service is started at boot.',
    },
    enabled: { type: 'boolean', default: true, description: 'Start at boot.' },
    state: { type: 'string', enum: ['running', 'stopped'], default: 'running', description: 'Whether the service is running now (scheduled-task: managed only when set; a task at logon runs when someone logs on).' },
    hardening: {
      type: 'object',
      additionalProperties: false,
      properties: {
        no_new_privileges: { type: 'boolean', description: 'NoNewPrivileges=.' },
        protect_system: { type: 'string', enum: ['true', 'full', 'strict'], description: 'ProtectSystem=.' },
        private_tmp: { type: 'boolean', description: 'PrivateTmp=.' },
      },
      description: 'systemd sandboxing (method systemd only).',
    },
    numprocs: { type: 'integer', minimum: 1, maximum: 100, default: 1, description: 'Number of processes (method supervisor only: numprocs with process_name %(program_name)s_%(process_num)d).' },
    reads: { type: 'array', items: absolutePath, uniqueItems: true, description: 'Files or directories the service reads: dependencies whose change restarts it.' },
    writes: { type: 'array', items: absolutePath, uniqueItems: true, description: 'Files or directories the service writes: dependencies whose change restarts it.' },
    health: healthSchema,
    verify: verifySchema,
    windows: windowsSchema,
  },
} as const;

export interface Problem {
  readonly attribute: string;
  readonly message: string;
  readonly hint?: string;
  readonly severity?: 'error' | 'warning';
}

const CONTROL = '\\x00-\\x1f\\x7f';
const PROGRAM = new RegExp(`^/(?!.*(^|/)\\.\\.?(/|$))(?!.*//)[^${CONTROL}]*[^/\\\\ ${CONTROL}]$`, 'u');

/** What a method cannot express of the desired state: errors, or warnings when the operator allowed a downgrade. */
export function methodLimits(d: ServiceDesired, s: Settings): Problem[] {
  const out: Problem[] = [];
  const downgrade = d.restart?.allow_downgrade === true;
  const limit = (attribute: string, message: string, hint: string): void => {
    out.push(downgrade ? { attribute, message: `${message}; allow_downgrade: it is left out`, severity: 'warning' } : { attribute, message, hint: `${hint}, or set restart.allow_downgrade: true to accept this` });
  };
  const m = s.method;
  if (m !== 'systemd' && d.hardening && Object.keys(d.hardening).length > 0) {
    out.push({ attribute: 'hardening', message: `hardening options need systemd; method ${m} cannot apply them`, hint: 'use autostart.method: systemd or remove hardening' });
  }
  if (m !== 'supervisor' && s.numprocs !== 1) {
    out.push({ attribute: 'numprocs', message: `numprocs is only available with method supervisor, not ${m}`, hint: 'use autostart.method: supervisor or numprocs: 1' });
  }
  if (m === 'supervisor') {
    if (s.delay !== undefined && s.delay !== 0) limit('restart.delay', 'supervisor restarts a program at once and cannot wait restart.delay seconds', 'remove restart.delay');
    if (d.restart?.backoff) limit('restart.backoff', 'supervisor has no growing restart delay after a program ran (its backoff only applies to failed starts)', 'remove restart.backoff');
    if (d.restart?.start_limit) limit('restart.start_limit', 'supervisor limits only consecutive failed starts (startretries), not starts within an interval', 'remove restart.start_limit');
    if (d.wait_for_network) limit('wait_for_network', 'supervisor starts its programs without waiting for the network', 'remove wait_for_network');
    for (const [k, v] of Object.entries(s.environment)) {
      if (/[\n\r]/.test(v) || (v.includes('"') && v.includes("'")) || /^['"]|['"]$/.test(v)) {
        out.push({ attribute: `environment.${k}`, message: 'supervisor\'s environment= cannot carry this value (a newline, both quote characters, or a quote at either end)', hint: 'use another method or change the value' });
      }
    }
    for (const [i, a] of (d.command ?? []).entries()) {
      if (/[\n\r]/.test(a)) out.push({ attribute: `command.${i}`, message: 'supervisor\'s command= cannot carry a line break', hint: 'use another method' });
    }
  }
  if (m === 'cron-reboot' && d.wait_for_network) limit('wait_for_network', 'cron @reboot jobs start without waiting for the network', 'remove wait_for_network');
  return out;
}

export function check(d: ServiceDesired): Problem[] {
  const s = settings(d);
  const problems: Problem[] = [];
  const program = d.command?.[0];
  if (s.present && program === undefined) problems.push({ attribute: 'command', message: 'command is required unless ensure is absent' });
  const windows = isWindowsMethod(s.method);
  if (program !== undefined && windows && !new RegExp(windowsPath.pattern).test(program)) {
    problems.push({ attribute: 'command.0', message: `the program ${JSON.stringify(program)} is not an absolute Windows path`, hint: 'give the full path, e.g. C:\\Program Files\\App\\app.exe' });
  }
  if (windows && (d.health?.length || d.verify)) {
    problems.push({ attribute: d.health?.length ? 'health' : 'verify', message: `health checks and verify: restart run on Linux hosts only; method ${s.method} is a Windows method`, hint: 'remove health/verify from this service (Windows health checks are not built yet)' });
  }
  if (!windows) {
    for (const [attribute, path] of [['working_directory', d.working_directory], ['log.directory', d.log?.directory]] as const) {
      if (path !== undefined && !path.startsWith('/')) problems.push({ attribute, message: `${JSON.stringify(path)} is a Windows path; method ${s.method} runs on Linux`, hint: 'give an absolute POSIX path, or use a Windows method' });
    }
  }
  if (program !== undefined && !windows && !PROGRAM.test(program)) {
    problems.push({ attribute: 'command.0', message: `the program ${JSON.stringify(program)} is not an absolute, normalised path`, hint: 'give the full path, e.g. /usr/bin/python3' });
  }
  const b = d.restart?.backoff;
  if (b && (s.delay ?? 1) > b.max_delay) problems.push({ attribute: 'restart.backoff.max_delay', message: 'max_delay is smaller than restart.delay' });
  for (const [attribute, value] of [...(d.command ?? []).map((v, i) => [`command.${i}`, v]), ...Object.entries(s.environment).map(([k, v]) => [`environment.${k}`, v])] as [string, string][]) {
    if (!value.isWellFormed()) problems.push({ attribute, message: 'the value is not valid Unicode (lone surrogate)' });
  }
  if (s.present) problems.push(...methodLimits(d, s));
  problems.push(...checkHealth(d, s.present && s.state === 'running'));
  if (windows) problems.push(...windowsChecks(d, s));
  else if (d.windows !== undefined) problems.push({ attribute: 'windows', message: `windows settings have no effect with method ${s.method}`, hint: 'use autostart.method windows-service, nssm or scheduled-task, or remove windows' });
  return problems;
}
