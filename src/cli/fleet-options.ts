/** The command-line options that shape a fleet run (shared by plan and apply), parsed and checked. */
import { InvalidArgumentError, type Command } from 'commander';
import type { FleetOptions } from '../engine/fleet.ts';
import { parseSerial, type Serial } from '../engine/rollout.ts';

export interface FleetFlags {
  forks: number;
  retries?: number;
  retryDelay?: number;
  hostTimeout?: number;
  prune?: boolean;
}

export interface RolloutFlags {
  serial?: Serial;
  maxFailPercent?: number;
}

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

function wholeNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number (0 or more)');
  return n;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of seconds (0 or more)');
  return n;
}

function positiveSeconds(v: string): number {
  const n = seconds(v);
  if (n === 0) throw new InvalidArgumentError('must be more than 0 seconds');
  return n;
}

function percent(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError('must be a percentage from 0 to 100');
  return n;
}

function serial(v: string): Serial {
  const s = parseSerial(v);
  if (!s) throw new InvalidArgumentError('must be a number of hosts (e.g. 2) or a percentage of them (e.g. 25%)');
  return s;
}

export const DEFAULT_FORKS = 25;

export function addFleetOptions(c: Command): Command {
  return c
    .option('-f, --forks <n>', 'hosts worked on at once', positiveInt, DEFAULT_FORKS)
    .option('--retries <n>', 'connection retries on transient network failures (default: inventory connection.retries, else 2)', wholeNumber)
    .option('--retry-delay <seconds>', 'wait before the first retry, doubling after (default: inventory connection.retry_delay, else 1)', seconds)
    .option('--host-timeout <seconds>', 'fail a host that takes longer than this (connecting included)', positiveSeconds)
    .option('--prune', "delete orphans: resources in a host's ledger that the playbook no longer has");
}

export function addRolloutOptions(c: Command): Command {
  return c
    .option('--serial <n|n%>', 'apply in batches of this many hosts (or this share of them), one batch after the other', serial)
    .option('--max-fail-percent <p>', 'start no further batch once more than this percentage of the hosts attempted so far failed', percent);
}

/** The engine's options from the flags (transport, progress and Ctrl-C are the caller's). */
export function fleetOptionsOf(flags: FleetFlags): Pick<FleetOptions, 'forks' | 'retry' | 'hostTimeoutMs'> {
  return {
    forks: flags.forks,
    retry: { ...(flags.retries !== undefined ? { retries: flags.retries } : {}), ...(flags.retryDelay !== undefined ? { delayMs: flags.retryDelay * 1000 } : {}) },
    ...(flags.hostTimeout !== undefined ? { hostTimeoutMs: flags.hostTimeout * 1000 } : {}),
  };
}
