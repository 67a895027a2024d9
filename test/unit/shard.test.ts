/** --shard K/N: shards partition any fleet exactly, and a host's shard depends only on its name and N. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inShard, parseShard, shardOf } from '../../src/report/shard.ts';

/** A deterministic pseudo-random fleet: names of every shape operators use. */
function fleet(size: number, seed: number): string[] {
  const shapes = [(i: number) => `web${i}`, (i: number) => `db-${i}.example.com`, (i: number) => `10.0.${i % 256}.${(i * 7) % 256}`, (i: number) => `host_${(i * 2654435761) % 100000}`];
  return Array.from({ length: size }, (_, i) => (shapes[(i + seed) % shapes.length] as (i: number) => string)(i * 31 + seed));
}

describe('shards', () => {
  test('shards 1..N partition the fleet exactly, for every N from 1 to 9', () => {
    for (const [size, seed] of [[0, 1], [1, 2], [7, 3], [250, 4]] as const) {
      const hosts = [...new Set(fleet(size, seed))];
      for (let n = 1; n <= 9; n++) {
        const parts = Array.from({ length: n }, (_, k) => hosts.filter((h) => inShard(h, { index: k + 1, count: n })));
        assert.deepEqual(parts.flat().sort(), [...hosts].sort(), `N=${n}, ${hosts.length} hosts: every host in exactly one shard`);
      }
    }
  });

  test('adding or removing hosts moves no other host', () => {
    const hosts = fleet(200, 5);
    const before = new Map(hosts.map((h) => [h, shardOf(h, 4)]));
    const grown = [...fleet(60, 9).map((h) => `new-${h}`), ...hosts.slice(50)];
    for (const h of grown) if (before.has(h)) assert.equal(shardOf(h, 4), before.get(h), h);
  });

  test('one more shard moves only the hosts that go to the new shard', () => {
    const hosts = fleet(400, 6);
    const moved = hosts.filter((h) => shardOf(h, 4) !== shardOf(h, 5));
    assert.ok(moved.every((h) => shardOf(h, 5) === 5), 'a host that moves, moves to the new shard');
    assert.ok(moved.length < hosts.length / 2, `${moved.length} of ${hosts.length} moved`);
  });

  test('every shard gets hosts from a large fleet (the hash spreads them)', () => {
    const hosts = fleet(1000, 7);
    for (let k = 1; k <= 8; k++) assert.ok(hosts.filter((h) => shardOf(h, 8) === k).length > 60, `shard ${k}/8`);
  });

  test('the shard of a name is pinned: runners on other machines and later versions agree', () => {
    // Changing the hash would reshuffle every fleet's shards between two scheduled runs.
    const names = ['web1', 'web2', 'web3', 'db1', 'db2', 'rp-1'];
    assert.deepEqual(names.map((h) => shardOf(h, 3)), [3, 3, 2, 3, 2, 2]);
    assert.deepEqual(names.map((h) => shardOf(h, 2)), [1, 1, 2, 2, 2, 2]);
    assert.equal(shardOf('anything', 1), 1);
  });

  test('K/N is parsed strictly, with a hint for Indexed Jobs', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    assert.deepEqual(parseShard(' 1 / 1 '), { index: 1, count: 1 });
    for (const bad of ['0/4', '5/4', '1/0', '1', '1/2/3', 'a/b', '-1/2', '1.5/2']) {
      assert.throws(() => parseShard(bad), /is not a shard: write K\/N with 1 <= K <= N.*JOB_COMPLETION_INDEX/, bad);
    }
  });
});
