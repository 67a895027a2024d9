/**
 * Health checks of a service as the playbook states them (`health:` on `service` and
 * `systemd_service`), their schema, their defaults, and what a module tells the engine so that
 * the engine can run them and verify restarts without knowing the module.
 */
import type { Command, JsonSchema } from './types.ts';

interface CheckCommon {
  readonly name?: string;
  /** Seconds one attempt may take. */
  readonly timeout?: number;
  /** Attempts after the first failed one. */
  readonly retries?: number;
  /** Seconds between attempts. */
  readonly interval?: number;
}

export interface TcpCheck { readonly port: number; readonly host?: string }
export interface HttpCheck { readonly url: string; readonly status?: number | readonly number[]; readonly contains?: string }
export interface CommandCheck { readonly argv: readonly string[]; readonly exit_code?: number }
export interface LogCheck {
  readonly source: 'journal' | 'file';
  readonly unit?: string;
  readonly path?: string;
  readonly pattern: string;
  readonly max_matches?: number;
  readonly window?: string;
}

export type HealthCheckSpec = CheckCommon & (
  | { readonly tcp: TcpCheck }
  | { readonly http: HttpCheck }
  | { readonly command: CommandCheck }
  | { readonly log: LogCheck }
);

/** The attributes a service resource gains. */
export interface HealthAttributes {
  readonly health?: readonly HealthCheckSpec[];
  readonly verify?: 'restart';
}

export type CheckKind = 'tcp' | 'http' | 'command' | 'log';

/** A check with every default filled in, ready to become a command. */
export interface ResolvedCheck {
  readonly kind: CheckKind;
  readonly name: string;
  readonly timeout: number;
  readonly retries: number;
  readonly interval: number;
  readonly spec: TcpCheck | HttpCheck | CommandCheck | LogCheck;
}

/** What a service module hands the engine: its checks, its journal selector, how to find its main process. */
export interface ServiceHealth {
  readonly checks: readonly ResolvedCheck[];
  /** journalctl arguments selecting the service's lines when a log check names no unit, e.g. ["-u", "web.service"]. */
  readonly journal: readonly string[];
  /** Present with `verify: restart`. */
  readonly restart?: {
    /** Prints the main process's pid (nothing, or 0, when there is none). */
    readonly mainPid: Command;
    /** Seconds the supervisor waits before restarting (the policy's delay). */
    readonly delay: number;
  };
}

// A freshly (re)started service needs a few seconds to listen: up to 5 + 5 x (2 + 5) s.
export const DEFAULT_TIMEOUT = 5;
export const DEFAULT_RETRIES = 5;
export const DEFAULT_INTERVAL = 2;
export const DEFAULT_WINDOW = '5m';
/** Seconds on top of the policy's delay that a restarted process may take to appear. */
export const RESTART_MARGIN = 10;

const WINDOW = /^([1-9][0-9]{0,6})([smhd])$/;

/** "5m" -> 300. */
export function windowSeconds(window: string): number {
  const m = WINDOW.exec(window);
  if (!m) throw new Error(`internal: bad window ${window}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

function kindOf(c: HealthCheckSpec): CheckKind {
  if ('tcp' in c) return 'tcp';
  if ('http' in c) return 'http';
  if ('command' in c) return 'command';
  return 'log';
}

function specOf(c: HealthCheckSpec): ResolvedCheck['spec'] {
  if ('tcp' in c) return c.tcp;
  if ('http' in c) return c.http;
  if ('command' in c) return c.command;
  return c.log;
}

export function resolveChecks(checks: readonly HealthCheckSpec[] | undefined): ResolvedCheck[] {
  return (checks ?? []).map((c, i) => {
    const kind = kindOf(c);
    return {
      kind,
      name: c.name ?? `${kind}#${i + 1}`,
      timeout: c.timeout ?? DEFAULT_TIMEOUT,
      // More attempts only see more log lines: a log check looks once unless told otherwise.
      retries: c.retries ?? (kind === 'log' ? 0 : DEFAULT_RETRIES),
      interval: c.interval ?? DEFAULT_INTERVAL,
      spec: specOf(c),
    };
  });
}

/** Mistakes the schema cannot see, for the modules' check(). */
export function checkHealth(a: HealthAttributes, running: boolean): { attribute: string; message: string; hint?: string }[] {
  const out: { attribute: string; message: string; hint?: string }[] = [];
  if (!running && ((a.health?.length ?? 0) > 0 || a.verify)) {
    out.push({ attribute: a.health?.length ? 'health' : 'verify', message: 'health checks and restart verification need a running service', hint: 'remove them, or set state: running and ensure: present' });
  }
  for (const [i, c] of (a.health ?? []).entries()) {
    if ('log' in c) {
      if (c.log.source === 'file' && c.log.path === undefined) out.push({ attribute: `health.${i}.log.path`, message: 'a log check of source file needs a path', hint: 'add path: /var/log/<service>/stderr.log' });
      if (c.log.source === 'file' && c.log.unit !== undefined) out.push({ attribute: `health.${i}.log.unit`, message: 'unit applies to source journal only' });
      if (c.log.source === 'journal' && c.log.path !== undefined) out.push({ attribute: `health.${i}.log.path`, message: 'path applies to source file only' });
    }
    if ('http' in c && !/^https?:\/\/[^/?#\s]+/.test(c.http.url)) out.push({ attribute: `health.${i}.http.url`, message: `${JSON.stringify(c.http.url)} is not an http:// or https:// URL` });
  }
  const names = (a.health ?? []).map((c) => c.name).filter((n): n is string => n !== undefined);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) out.push({ attribute: 'health', message: `two health checks are named ${JSON.stringify(dup)}`, hint: 'names identify checks in reports: make them unique' });
  return out;
}

const seconds = (description: string, min: number): Record<string, unknown> => ({ type: 'number', minimum: min, maximum: 3600, description });
const noNul = { type: 'string', pattern: '^[^\\x00]*$' } as const;
const status = { type: 'integer', minimum: 100, maximum: 599 } as const;

const common = {
  name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\x00-\\x1f]*$', description: 'A name for reports (default <kind>#<position>).' },
  timeout: seconds(`Seconds one attempt may take (default ${DEFAULT_TIMEOUT}).`, 0.1),
  retries: { type: 'integer', minimum: 0, maximum: 100, description: `Attempts after a failed first one (default ${DEFAULT_RETRIES}; 0 for log checks): a freshly restarted service needs a few seconds.` },
  interval: seconds(`Seconds between attempts (default ${DEFAULT_INTERVAL}).`, 0),
};

const KINDS: readonly CheckKind[] = ['tcp', 'http', 'command', 'log'];
// Ajv's strict mode wants every required key declared next to it.
const having = (keys: readonly CheckKind[]): JsonSchema => ({ required: keys, properties: Object.fromEntries(keys.map((k) => [k, true])) });
const pairs = KINDS.flatMap((a, i) => KINDS.slice(i + 1).map((b) => having([a, b])));

export const healthSchema = {
  type: 'array',
  description: 'Checks run on the host after apply and by `plan --check-health`; a failing check fails the host with what was seen.',
  items: {
    type: 'object',
    additionalProperties: false,
    // One object with every kind's key, exactly one present: a typo then gets a "did you mean".
    not: { description: 'a health check has exactly one of tcp, http, command and log', anyOf: [{ not: { anyOf: KINDS.map((k) => having([k])) } }, ...pairs] },
    properties: {
      ...common,
      tcp: {
        type: 'object', additionalProperties: false, required: ['port'],
        properties: {
          port: { type: 'integer', minimum: 1, maximum: 65535, description: 'The port that must accept a connection.' },
          host: { ...noNul, minLength: 1, description: 'Address to connect to, as seen from the host (default 127.0.0.1).' },
        },
        description: 'A TCP connection must succeed (bash /dev/tcp on the host).',
      },
      http: {
        type: 'object', additionalProperties: false, required: ['url'],
        properties: {
          url: { ...noNul, pattern: '^https?://[^\\x00-\\x20]+$', description: 'URL fetched from the host with GET (curl, else wget, else bash /dev/tcp for http://).' },
          status: { oneOf: [status, { type: 'array', items: status, minItems: 1 }], description: 'Accepted status code(s) (default: any 2xx).' },
          contains: { ...noNul, minLength: 1, description: 'Text the body must contain.' },
        },
        description: 'An HTTP GET must answer with an accepted status (and text).',
      },
      command: {
        type: 'object', additionalProperties: false, required: ['argv'],
        properties: {
          argv: { type: 'array', minItems: 1, items: noNul, description: 'Program and arguments, run as the login user without a shell.' },
          exit_code: { type: 'integer', minimum: 0, maximum: 255, default: 0, description: 'Expected exit code.' },
        },
        description: 'A command must exit with the expected code.',
      },
      log: {
        type: 'object', additionalProperties: false, required: ['source', 'pattern'],
        properties: {
          source: { type: 'string', enum: ['journal', 'file'], description: 'journal (journalctl) or file.' },
          unit: { ...noNul, minLength: 1, description: 'journal: the unit (default: the service\'s own journal lines).' },
          path: { type: 'string', pattern: '^/[^\\x00]*$', description: 'file: the log file.' },
          pattern: { ...noNul, minLength: 1, description: 'An extended regular expression (grep -E).' },
          max_matches: { type: 'integer', minimum: 0, default: 0, description: 'The check fails when more lines than this match.' },
          window: { type: 'string', pattern: WINDOW.source, default: DEFAULT_WINDOW, description: 'journal: entries of the last window (e.g. 30s, 5m, 1h). file: the lines appended since apply started; without an apply (plan --check-health, an apply with no change) the last 1000 lines if the file was modified within the window.' },
        },
        description: 'No more than max_matches log lines within the window match pattern.',
      },
    },
  },
} as const;

export const verifySchema = {
  type: 'string',
  enum: ['restart'],
  description: `restart: after apply changed the service, kill its main process and require the supervisor to bring it back within the restart delay + ${RESTART_MARGIN} s.`,
} as const;
