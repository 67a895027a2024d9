/** Rolling applies: --serial parsing, batches, and the --max-fail-percent rule. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { batches, batchSize, parseSerial, tooManyFailed } from '../../src/engine/rollout.ts';

describe('serial batches', () => {
  test('parseSerial takes a count or a percentage, nothing else', () => {
    assert.deepEqual(parseSerial('2'), { count: 2 });
    assert.deepEqual(parseSerial('25%'), { percent: 25 });
    for (const bad of ['0', '0%', '101%', '-1', '1.5', 'two', '', '%']) assert.equal(parseSerial(bad), undefined, bad);
  });

  test('a percentage rounds down but never below one host; no serial is one batch', () => {
    assert.equal(batchSize({ percent: 30 }, 10), 3);
    assert.equal(batchSize({ percent: 10 }, 5), 1);
    assert.equal(batchSize({ percent: 100 }, 7), 7);
    assert.equal(batchSize(undefined, 7), 7);
  });

  test('hosts are cut into consecutive batches in inventory order', () => {
    assert.deepEqual(batches(['a', 'b', 'c', 'd', 'e'], { count: 2 }), [['a', 'b'], ['c', 'd'], ['e']]);
    assert.deepEqual(batches(['a', 'b', 'c', 'd'], { percent: 50 }), [['a', 'b'], ['c', 'd']]);
    assert.deepEqual(batches(['a', 'b'], undefined), [['a', 'b']]);
    assert.deepEqual(batches([], { count: 2 }), []);
  });

  test('max-fail-percent: strictly more than P% of the hosts attempted so far', () => {
    assert.equal(tooManyFailed(1, 2, 10), true); // 50% > 10%
    assert.equal(tooManyFailed(1, 10, 10), false); // 10% is not more than 10%
    assert.equal(tooManyFailed(2, 10, 10), true);
    assert.equal(tooManyFailed(0, 4, 0), false);
    assert.equal(tooManyFailed(1, 4, 0), true);
    assert.equal(tooManyFailed(3, 3, 100), false, '100% never stops');
    assert.equal(tooManyFailed(5, 5, undefined), false, 'without a limit, never');
    assert.equal(tooManyFailed(0, 0, 10), false);
  });
});
