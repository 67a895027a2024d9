/** Saved plans and drift reports read back: a clear error for a broken, newer or foreign file. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PlanFileError, readPlanDocument } from '../../src/engine/plan-document.ts';
import { readDriftReport, ReportFileError } from '../../src/report/json.ts';
import { tempFiles } from './helpers.ts';

describe('reading saved plans and drift reports', () => {
  const dir = tempFiles({ 'broken.json': '{"format_version": 1,', 'newer.json': '{"format_version": 99}', 'foreign.json': '{"format_version": 1, "hosts": "no"}' });
  const at = (f: string): string => join(dir, f);

  test('a saved plan: not JSON, a newer format, or not a plan', () => {
    assert.throws(() => readPlanDocument(at('broken.json')), (e: unknown) => e instanceof PlanFileError && /^cannot read plan .*broken\.json: /.test(e.message));
    assert.throws(() => readPlanDocument(at('newer.json')), (e: unknown) => e instanceof PlanFileError && /newer\.json has plan format 99; this provision reads 1$/.test(e.message));
    assert.throws(() => readPlanDocument(at('foreign.json')), (e: unknown) => e instanceof PlanFileError && /foreign\.json is not a provision plan: \//.test(e.message));
  });

  test('a drift report: the same, with how to write one', () => {
    assert.throws(() => readDriftReport(at('newer.json')), (e: unknown) => e instanceof ReportFileError && /has drift report format 99/.test(e.message));
    assert.throws(() => readDriftReport(at('foreign.json')), (e: unknown) => e instanceof ReportFileError && /is not a provision drift report \(write one with provision drift --report json=FILE\)/.test(e.message));
  });
});
