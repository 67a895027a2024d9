/**
 * `--shard K/N`: which hosts one of N runners plans. Each host goes to the shard with the
 * highest hash of (host name, shard index) (rendezvous hashing): the choice depends on the
 * host's name and N only, so shards 1..N partition any fleet exactly, adding or removing a host
 * moves no other host, and going from N to N+1 shards moves only about 1/(N+1) of the hosts.
 */
import { createHash } from 'node:crypto';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export class ShardError extends Error {
  override name = 'ShardError';
}

export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ShardError(`"${text}" is not a shard: write K/N with 1 <= K <= N, e.g. --shard 2/4 (for Kubernetes Indexed Jobs: --shard $((JOB_COMPLETION_INDEX + 1))/N)`);
  }
  return { index, count };
}

function weight(host: string, index: number): bigint {
  return createHash('sha256').update(`${index}\u0000${host}`).digest().readBigUInt64BE(0);
}

/** The 1-based shard a host belongs to, among count shards. */
export function shardOf(host: string, count: number): number {
  let best = 1;
  let bestWeight = -1n;
  for (let i = 1; i <= count; i++) {
    const w = weight(host, i);
    if (w > bestWeight) {
      best = i;
      bestWeight = w;
    }
  }
  return best;
}

export function inShard(host: string, shard: Shard | undefined): boolean {
  return !shard || shardOf(host, shard.count) === shard.index;
}
