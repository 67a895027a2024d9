/** report merge: shard reports join into the unsharded report; mismatches are refused, clearly. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { HostPlan } from '../../src/engine/plan.ts';
import { driftReport, type DriftReport } from '../../src/report/drift-report.ts';
import { renderJson } from '../../src/report/json.ts';
import { mergeReports, type NamedReport } from '../../src/report/merge.ts';
import { inShard } from '../../src/report/shard.ts';
import { provision } from '../e2e/cli.ts';
import { junitCases } from '../support/junit.ts';
import { fleetPlans } from './drift-fixtures.ts';
import { tempFiles } from './helpers.ts';

const meta = { playbook: '/srv/site.yml', inventory: '/srv/inventory.yml', limit: null };

/** A fleet of many hosts so every shard of 3 holds some. */
function bigFleet(): HostPlan[] {
  const base = fleetPlans();
  return Array.from({ length: 24 }, (_, i) => ({ ...(base[i % base.length] as HostPlan), host: `node${i}` }));
}

function shardReports(plans: readonly HostPlan[], count: number): NamedReport[] {
  return Array.from({ length: count }, (_, k) => ({
    file: `shard-${k + 1}.json`,
    report: driftReport(plans.filter((p) => inShard(p.host, { index: k + 1, count })), { ...meta, shard: { index: k + 1, count } }),
  }));
}

function comparable(r: DriftReport): Omit<DriftReport, 'generated_at' | 'shard'> {
  const { generated_at: _g, shard: _s, ...rest } = r;
  return rest;
}

describe('report merge', () => {
  test('shards 1..N merged equal the unsharded report, apart from generated_at and shard', () => {
    const plans = bigFleet();
    const whole = driftReport(plans, { ...meta, shard: null });
    for (const count of [1, 2, 3, 5]) {
      const shards = shardReports(plans, count);
      const { report, missing } = mergeReports([...shards].reverse());
      assert.deepEqual(missing, []);
      assert.deepEqual(report.shard, { count, merged: Array.from({ length: count }, (_, i) => i + 1) });
      assert.deepEqual(comparable(report), comparable(whole));
    }
  });

  test('merges of merges work, and a missing shard is reported', () => {
    const [a, b, c] = shardReports(bigFleet(), 3) as [NamedReport, NamedReport, NamedReport];
    const ab = mergeReports([a, b]);
    assert.deepEqual(ab.missing, [3]);
    const all = mergeReports([{ file: 'ab.json', report: ab.report }, c]);
    assert.deepEqual(all.report.shard, { count: 3, merged: [1, 2, 3] });
    assert.deepEqual(all.missing, []);
  });

  test('refuses overlapping hosts, other playbooks, other shard counts, repeats and unsharded reports', () => {
    const plans = bigFleet();
    const [a, b] = shardReports(plans, 2) as [NamedReport, NamedReport];
    const overlap: NamedReport = { file: 'other.json', report: { ...b.report, hosts: [...b.report.hosts, a.report.hosts[0] as DriftReport['hosts'][number]] } };
    assert.throws(() => mergeReports([a, overlap]), new RegExp(`host ${a.report.hosts[0]?.name} is in both shard-1\\.json and other\\.json; shards must not overlap`));
    assert.throws(() => mergeReports([a, { file: 'b.json', report: { ...b.report, playbook: '/srv/other.yml' } }]), /shard-1\.json is for playbook "\/srv\/site\.yml" but b\.json is for "\/srv\/other\.yml"; each report must come from the same playbook/);
    assert.throws(() => mergeReports([a, ...shardReports(plans, 3).slice(1, 2)]), /different shard counts \(2 and 3\)/);
    assert.throws(() => mergeReports([a, { ...a, file: 'again.json' }]), /shard 1\/2 appears twice \(again in again\.json\)/);
    assert.throws(() => mergeReports([a, { file: 'all.json', report: driftReport(plans, { ...meta, shard: null }) }]), /all\.json is an unsharded report/);
    assert.throws(() => mergeReports([]), /name at least one drift report/);
  });

  test('provision report merge writes every format and exits with the merged verdict', async () => {
    const shards = shardReports(bigFleet(), 2);
    const dir = tempFiles(Object.fromEntries(shards.map((s) => [s.file, renderJson(s.report)])));
    const files = shards.map((s) => join(dir, s.file));
    const out = (f: string): string => join(dir, f);
    const r = await provision(['report', 'merge', ...files, '--report', `json=${out('m.json')}`, '--report', `junit=${out('m.xml')}`, '--report', `html=${out('m.html')}`, '--detailed-exitcode']);
    assert.equal(r.code, 1, 'the fleet has an unreachable host: ' + r.stderr);
    assert.match(r.stdout, /^Drift: 12 of 24 hosts drifted, 6 failed, 6 in sync; 24 of 48 resources drifted \(shards 1, 2 of 2\)\./);
    const merged = JSON.parse(readFileSync(out('m.json'), 'utf8')) as DriftReport;
    assert.equal(merged.hosts.length, 24);
    assert.equal(junitCases(readFileSync(out('m.xml'), 'utf8')).filter((c) => c.error !== undefined).length, 6);
    assert.match(readFileSync(out('m.html'), 'utf8'), /ERROR: 6 of 24 hosts could not be checked/);
    const plain = await provision(['report', 'merge', ...files]);
    assert.equal(plain.code, 0, 'without --detailed-exitcode a successful merge exits 0');
    assert.deepEqual(comparable(JSON.parse(plain.stdout) as DriftReport), comparable(merged), 'without --report the merged JSON is on stdout');
  });

  test('provision report merge refuses with a clear message and exit 1', async () => {
    const [a] = shardReports(bigFleet(), 2) as [NamedReport];
    const dir = tempFiles({ 'a.json': renderJson(a.report), 'junk.json': '{"hosts": []}' });
    const twice = await provision(['report', 'merge', join(dir, 'a.json'), join(dir, 'a.json')]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /shard 1\/2 appears twice/);
    const junk = await provision(['report', 'merge', join(dir, 'a.json'), join(dir, 'junk.json')]);
    assert.equal(junk.code, 1);
    assert.match(junk.stderr, /junk\.json is not a provision drift report/);
    const partial = await provision(['report', 'merge', join(dir, 'a.json'), '--report', `json=${join(dir, 'p.json')}`]);
    assert.equal(partial.code, 1);
    assert.match(partial.stderr, /the merged report is incomplete: no report for shard 2\/2/);
    writeFileSync(join(dir, 'x'), '');
    const badTarget = await provision(['report', 'merge', join(dir, 'a.json'), '--report', 'pdf=x.pdf']);
    assert.equal(badTarget.code, 1);
    assert.match(badTarget.stderr, /unknown report format "pdf"; use json=FILE, junit=FILE, html=FILE/);
  });
});
