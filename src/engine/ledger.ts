/**
 * The ledger a host keeps of what provision manages there: one entry per resource (address,
 * kind, name and the desired state that removes it) and the restarts a failed run still owes.
 * Pure: parsing, comparing with a playbook and building the next ledger; host-state*.ts
 * reads and writes it.
 */
import { canonicalJson } from '../core/json.ts';
import type { JsonObject } from '../core/types.ts';
import type { ResourceInstance } from '../config/resource.ts';

export const LEDGER_FORMAT_VERSION = 1;

export interface LedgerEntry {
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  /** The module's desired state that removes this resource (no secrets); null: it cannot be pruned. */
  readonly removal: JsonObject | null;
  /** Attribute paths that held secrets (names only): what a prune shows of them is redacted. */
  readonly sensitive: readonly string[];
}

/** A restart (refresh) that was due when a run failed or was cut short, and has not run since. */
export interface PendingRefresh {
  readonly address: string;
  /** When the run that owed it started (ISO 8601). */
  readonly since: string;
  /** The resources whose changes made it due. */
  readonly by: readonly string[];
}

export interface Ledger {
  readonly format_version: number;
  readonly updated_at: string;
  /** user@hostname of the controller that wrote it. */
  readonly updated_by: string;
  readonly resources: readonly LedgerEntry[];
  readonly pending_refresh: readonly PendingRefresh[];
}

export const EMPTY_LEDGER: Ledger = { format_version: LEDGER_FORMAT_VERSION, updated_at: '', updated_by: '', resources: [], pending_refresh: [] };

export class LedgerError extends Error {
  override name = 'LedgerError';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** The ledger from its file's text; empty text (no ledger yet) is an empty ledger. */
export function parseLedger(text: string): Ledger {
  if (text.trim() === '') return EMPTY_LEDGER;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new LedgerError(`the ledger is not JSON (${(e as Error).message})`);
  }
  if (!isObject(data)) throw new LedgerError('the ledger is not a JSON object');
  if (data['format_version'] !== LEDGER_FORMAT_VERSION) throw new LedgerError(`the ledger has format ${String(data['format_version'])}; this provision reads ${LEDGER_FORMAT_VERSION}`);
  const resources = data['resources'];
  const pending = data['pending_refresh'] ?? [];
  if (!Array.isArray(resources) || !Array.isArray(pending)) throw new LedgerError('the ledger lacks its resources or pending_refresh list');
  return {
    format_version: LEDGER_FORMAT_VERSION,
    updated_at: typeof data['updated_at'] === 'string' ? data['updated_at'] : '',
    updated_by: typeof data['updated_by'] === 'string' ? data['updated_by'] : '',
    resources: resources.map((r, i) => {
      if (!isObject(r) || typeof r['address'] !== 'string' || typeof r['kind'] !== 'string' || typeof r['name'] !== 'string' || !(r['removal'] === null || isObject(r['removal']))) {
        throw new LedgerError(`resources[${i}] of the ledger is not {address, kind, name, removal}`);
      }
      return { address: r['address'], kind: r['kind'], name: r['name'], removal: r['removal'] as JsonObject | null, sensitive: isStringArray(r['sensitive']) ? r['sensitive'] : [] };
    }),
    pending_refresh: pending.map((p, i) => {
      if (!isObject(p) || typeof p['address'] !== 'string' || typeof p['since'] !== 'string' || !isStringArray(p['by'])) {
        throw new LedgerError(`pending_refresh[${i}] of the ledger is not {address, since, by}`);
      }
      return { address: p['address'], since: p['since'], by: p['by'] };
    }),
  };
}

/** The ledger entry for a playbook resource; removal holds no attribute marked sensitive. */
export function entryOf(r: ResourceInstance): LedgerEntry {
  const removal = r.module.removal ? (r.module.removal(r.desired) as JsonObject) : null;
  if (removal) {
    for (const key of Object.keys(removal)) {
      if (r.module.sensitiveAttributes.includes(key) || r.sensitivePaths.has(key)) throw new Error(`internal: ${r.module.kind}.removal() kept the sensitive attribute ${key}`);
    }
  }
  return { address: r.address, kind: r.module.kind, name: r.name, removal, sensitive: [...r.sensitivePaths].sort() };
}

/**
 * Entries of the ledger whose resources are no longer in the playbook, in ledger order. A
 * resource that only got a new address (an explicit id) is the same thing: not an orphan.
 */
export function orphansOf(ledger: Ledger, playbook: readonly ResourceInstance[]): LedgerEntry[] {
  const addresses = new Set(playbook.map((r) => r.address));
  const identities = new Set(playbook.map((r) => `${r.module.kind}\0${r.name}`));
  return ledger.resources.filter((e) => !addresses.has(e.address) && !identities.has(`${e.kind}\0${e.name}`));
}

/**
 * The ledger after a run: the playbook's resources, then the orphans still on the host (those not
 * removed), then the restarts still owed.
 */
export function nextLedger(input: {
  readonly playbook: readonly ResourceInstance[];
  readonly orphansKept: readonly LedgerEntry[];
  readonly pending: readonly PendingRefresh[];
  readonly now: string;
  readonly by: string;
}): Ledger {
  const resources = [...input.playbook.map(entryOf), ...input.orphansKept];
  return { format_version: LEDGER_FORMAT_VERSION, updated_at: input.now, updated_by: input.by, resources, pending_refresh: input.pending };
}

/** True when writing `next` would change what the host's ledger says (times aside). */
export function ledgerDiffers(previous: Ledger, next: Ledger): boolean {
  return canonicalJson([previous.resources, previous.pending_refresh]) !== canonicalJson([next.resources, next.pending_refresh]);
}

export function serialiseLedger(ledger: Ledger): string {
  return JSON.stringify(ledger, null, 2) + '\n';
}

/** Merges restarts owed: the earliest `since` and every trigger are kept per resource. */
export function mergePending(...lists: readonly (readonly PendingRefresh[])[]): PendingRefresh[] {
  const byAddress = new Map<string, PendingRefresh>();
  for (const p of lists.flat()) {
    const prev = byAddress.get(p.address);
    byAddress.set(p.address, prev ? { address: p.address, since: prev.since < p.since ? prev.since : p.since, by: [...new Set([...prev.by, ...p.by])] } : p);
  }
  return [...byAddress.values()];
}
