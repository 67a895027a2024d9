/** The drift report built from plans: statuses, generic actions, ordering, exit codes, its schema. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validator } from '../../src/config/schema.ts';
import { driftReport, exitCodeFor } from '../../src/report/drift-report.ts';
import { readDriftReport, renderJson } from '../../src/report/json.ts';
import { fleetPlans, HOSTILE } from './drift-fixtures.ts';
import { tempFiles } from './helpers.ts';

const meta = { playbook: '/srv/site.yml', inventory: '/srv/inventory.yml', limit: null, shard: null };
const NOW = new Date('2026-01-02T03:04:05.000Z');

describe('drift report', () => {
  const report = driftReport(fleetPlans(), meta, NOW);

  test('hosts are sorted by name (numbers as numbers) and carry their status', () => {
    assert.deepEqual(
      report.hosts.map((h) => [h.name, h.status]),
      [['db1', 'error'], [HOSTILE, 'drift'], ['web2', 'drift'], ['web10', 'ok']],
    );
  });

  test('any action other than none is drift, including actions the plan learns later', () => {
    const hostile = report.hosts.find((h) => h.name === HOSTILE);
    assert.deepEqual(hostile?.resources.map((r) => [r.status, r.action, r.reason]), [
      ['drift', 'update', null],
      ['drift', 'orphan-delete', 'in the ledger, not in the playbook'],
    ]);
    assert.deepEqual(report.hosts.find((h) => h.name === 'web10')?.resources.map((r) => [r.status, r.reason]), [
      ['in_sync', 'matches'],
      ['in_sync', 'matches'],
      ['in_sync', 'matches'],
    ]);
  });

  test('attribute changes keep the plan’s redaction; digests stay out', () => {
    const web2 = report.hosts.find((h) => h.name === 'web2');
    assert.deepEqual(web2?.resources[1], {
      address: 'systemd_service:app',
      kind: 'systemd_service',
      name: 'app',
      status: 'drift',
      action: 'update',
      changes: [{ attribute: 'environment.TOKEN', before: '(sensitive)', after: '(sensitive)', sensitive: true }],
      reason: null,
    });
  });

  test('an unreachable host is an error with message, hint and phase', () => {
    assert.deepEqual(report.hosts[0]?.error, { message: 'db1: cannot connect to 10.0.0.5:22: connect ECONNREFUSED', hint: 'is sshd running on db1?', phase: 'connect', resource: null });
  });

  test('summary and verdict: errors win over drift, drift over ok; exit codes 1/2/0', () => {
    assert.deepEqual(report.summary, { hosts: 4, hosts_ok: 1, hosts_drift: 2, hosts_error: 1, resources: 8, resources_drift: 4 });
    assert.equal(report.status, 'error');
    assert.equal(exitCodeFor(report), 1);
    const [, ...reachable] = fleetPlans().reverse();
    assert.equal(exitCodeFor(driftReport(reachable, meta)), 2);
    const web10 = fleetPlans().filter((p) => p.host === 'web10');
    assert.equal(exitCodeFor(driftReport(web10, meta)), 0);
    assert.equal(exitCodeFor(driftReport([], meta)), 0);
  });

  test('the JSON validates against schemas/drift-report.schema.json and reads back', () => {
    const validate = validator('drift-report.schema.json');
    const data = JSON.parse(renderJson(report)) as unknown;
    assert.ok(validate(data), JSON.stringify(validate.errors));
    for (const shard of [{ index: 2, count: 3 }, { count: 3, merged: [1, 3] }]) {
      assert.ok(validate(JSON.parse(renderJson(driftReport(fleetPlans(), { ...meta, shard }, NOW)))), JSON.stringify(validate.errors));
    }
    const dir = tempFiles({ 'r.json': renderJson(report) });
    assert.deepEqual(readDriftReport(join(dir, 'r.json')), data);
  });

  test('the schema rejects what is not a drift report, and reading says which file and why', () => {
    const validate = validator('drift-report.schema.json');
    const bad = JSON.parse(renderJson(report)) as { hosts: { status: string }[] };
    (bad.hosts[0] as { status: string }).status = 'fine';
    assert.equal(validate(bad), false);
    const dir = tempFiles({});
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    assert.throws(() => readDriftReport(file), /bad\.json is not a provision drift report .*\/hosts\/0\/status/);
    writeFileSync(file, JSON.stringify({ ...report, format_version: 9 }));
    assert.throws(() => readDriftReport(file), /drift report format 9; this provision reads 1/);
    writeFileSync(file, '{');
    assert.throws(() => readDriftReport(file), /cannot read drift report .*bad\.json/);
  });
});
