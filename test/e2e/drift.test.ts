/**
 * Drift detection end to end on real hosts: drift made by hand on one host, `provision drift`
 * with every report (the JSON validated, the JUnit parsed back, the HTML rendered by headless
 * Chromium and read as a person would), shards merged into the unsharded report, and an
 * unreachable host as an error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { validator } from '../../src/config/schema.ts';
import type { DriftReport } from '../../src/report/drift-report.ts';
import { bootHosts, harnessPrerequisites, hostExec, shutdownHosts, type TestFleet } from '../harness/hosts.ts';
import { fleetInventory } from '../harness/inventory.ts';
import { renderInChromium } from '../support/chromium.ts';
import { junitCases } from '../support/junit.ts';
import { provision } from './cli.ts';

const HOSTS = 3;

const PLAYBOOK = `# yaml-language-server: $schema=../schemas/playbook.schema.json
- name: drift
  hosts: all
  resources:
    - kind: group
      name: driftapp
      system: true
    - kind: directory
      path: /opt/driftapp
      mode: "0755"
    - kind: file
      path: /opt/driftapp/app.conf
      content: |
        level = info
        host = {{host.name}}
      owner: root
      group: driftapp
      mode: "0640"
`;

let fleet: TestFleet;
let dir: string;
let play: string;
let inv: string;

function path(name: string): string {
  return join(dir, name);
}

function readReport(file: string): DriftReport {
  return JSON.parse(readFileSync(file, 'utf8')) as DriftReport;
}

function hn(i: number): string {
  const h = fleet.hosts[i - 1];
  assert.ok(h, `host ${i} booted`);
  return h.name;
}

/** The report without what differs between runs of the same fleet. */
function comparable(r: DriftReport): Omit<DriftReport, 'generated_at' | 'shard'> {
  const { generated_at: _g, shard: _s, ...rest } = r;
  return rest;
}

describe('drift detection end to end on real hosts', { timeout: 600_000 }, () => {
  before(async () => {
    const missing = harnessPrerequisites();
    assert.deepEqual(missing, [], `the e2e suite needs: ${missing.join(', ')}`);
    fleet = await bootHosts(HOSTS);
    dir = mkdtempSync(join(tmpdir(), 'provision-drift-e2e-'));
    play = path('drift.yml');
    writeFileSync(play, PLAYBOOK);
    inv = path('inventory.yml');
    writeFileSync(inv, fleetInventory(fleet));
    const converge = await provision(['apply', play, '-i', inv, '--yes']);
    assert.equal(converge.code, 0, converge.stdout + converge.stderr);
  });

  after(async () => {
    await shutdownHosts();
  });

  test('a converged fleet has no drift: exit 0', async () => {
    const r = await provision(['drift', play, '-i', inv, '--report', `json=${path('clean.json')}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /No drift/);
    const report = readReport(path('clean.json'));
    assert.deepEqual(report.hosts.map((h) => h.status), ['ok', 'ok', 'ok']);
  });

  test('drift made by hand on one host: exit 2 and every report shows exactly it', async () => {
    for (const cmd of [['chmod', '0700', '/opt/driftapp'], ['chmod', '0604', '/opt/driftapp/app.conf']]) {
      const r = await hostExec(2, cmd);
      assert.equal(r.code, 0, r.stderr);
    }
    const [json, junit, html] = [path('drift.json'), path('drift.xml'), path('drift.html')];
    const r = await provision(['drift', play, '-i', inv, '--report', `json=${json}`, '--report', `junit=${junit}`, '--report', `html=${html}`]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`~ ${hn(2)}: directory:/opt/driftapp \\(update: mode\\), file:/opt/driftapp/app.conf \\(update: mode\\)`));

    const report = readReport(json);
    const validate = validator('drift-report.schema.json');
    assert.ok(validate(report), JSON.stringify(validate.errors));
    assert.equal(report.status, 'drift');
    assert.deepEqual(
      report.hosts.map((h) => [h.name, h.status]),
      [1, 2, 3].map((i) => [hn(i), i === 2 ? 'drift' : 'ok']),
    );
    const drifted = report.hosts.flatMap((h) => h.resources.filter((x) => x.status === 'drift').map((x) => [h.name, x.address, x.action, x.changes]));
    assert.deepEqual(drifted, [
      [hn(2), 'directory:/opt/driftapp', 'update', [{ attribute: 'mode', before: '0700', after: '0755' }]],
      [hn(2), 'file:/opt/driftapp/app.conf', 'update', [{ attribute: 'mode', before: '0604', after: '0640' }]],
    ]);

    const cases = junitCases(readFileSync(junit, 'utf8'));
    assert.equal(cases.length, 9, 'one testcase per host and resource');
    assert.deepEqual(
      cases.filter((c) => c.failure).map((c) => [c.suite, c.name]),
      [[hn(2), 'directory:/opt/driftapp'], [hn(2), 'file:/opt/driftapp/app.conf']],
    );
    assert.match(cases.find((c) => c.failure)?.failure ?? '', /mode: "0700" -> "0755"/);
    assert.equal(cases.filter((c) => c.error !== undefined).length, 0);

    const page = await renderInChromium(html, path('drift.png'));
    assert.ok(statSync(path('drift.png')).size > 5000, 'the screenshot shows a page');
    assert.match(page.text, /DRIFT: 1 of 3 hosts drifted/);
    const row = page.matrixRows.find((cells) => cells[0] === hn(2));
    assert.ok(row, `the fleet matrix has a row for ${hn(2)}: ${JSON.stringify(page.matrixRows)}`);
    assert.deepEqual(row.slice(1), ['drift', 'in sync', 'drift (update)', 'drift (update)']);
    assert.deepEqual(page.matrixRows.find((cells) => cells[0] === hn(1))?.slice(1), ['in sync', 'in sync', 'in sync', 'in sync']);
    assert.match(page.text, new RegExp(`${hn(2)} \\(${fleet.hosts[1]?.address.replace(/\./g, '\\.')}\\) drift`));
    assert.match(page.text, /file:\/opt\/driftapp\/app\.conf drift \(update\)\s*attribute\s*on the host\s*in the playbook\s*mode\s*"0604"\s*"0640"/);
  });

  test('shards 1/2 and 2/2 partition the fleet and merge into the unsharded report', async () => {
    const whole = readReport(path('drift.json'));
    const shardFiles: string[] = [];
    for (const k of [1, 2]) {
      const file = path(`shard-${k}.json`);
      const r = await provision(['drift', play, '-i', inv, '--shard', `${k}/2`, '--report', `json=${file}`]);
      const report = readReport(file);
      assert.equal(r.code, report.status === 'drift' ? 2 : 0, r.stdout + r.stderr);
      assert.deepEqual(report.shard, { index: k, count: 2 });
      shardFiles.push(file);
    }
    const names = shardFiles.flatMap((f) => readReport(f).hosts.map((h) => h.name));
    assert.deepEqual([...names].sort(), whole.hosts.map((h) => h.name).sort(), 'every host in exactly one shard');

    const merged = [path('merged.json'), path('merged.xml'), path('merged.html')];
    const m = await provision(['report', 'merge', ...shardFiles, '--report', `json=${merged[0]}`, '--report', `junit=${merged[1]}`, '--report', `html=${merged[2]}`, '--detailed-exitcode']);
    assert.equal(m.code, 2, m.stdout + m.stderr);
    const report = readReport(merged[0] as string);
    assert.deepEqual(report.shard, { count: 2, merged: [1, 2] });
    assert.deepEqual(comparable(report), comparable(whole));
    assert.equal(junitCases(readFileSync(merged[1] as string, 'utf8')).filter((c) => c.failure).length, 2);

    // plan takes the same shard option and writes the same report.
    const planned = path('plan-shard-1.json');
    const p = await provision(['plan', play, '-i', inv, '--shard', '1/2', '--report', `json=${planned}`]);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.deepEqual(comparable(readReport(planned)), comparable(readReport(shardFiles[0] as string)));
  });

  test('an unreachable host is an error: exit 1, listed by name with its message, in every report', async () => {
    const gone = 'rp-gone';
    const invGone = path('inventory-gone.yml');
    writeFileSync(invGone, fleetInventory(fleet, { extraHosts: { [gone]: { address: '127.0.0.1', connection: { port: 1 } } } }));
    const [json, junit] = [path('gone.json'), path('gone.xml')];
    const r = await provision(['drift', play, '-i', invGone, '--report', `json=${json}`, '--report', `junit=${junit}`]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`! ${gone} \\(connect\\): .*(refused|ECONNREFUSED)`, 'i'));
    assert.match(r.stdout, /1 failed/);
    const report = readReport(json);
    assert.equal(report.status, 'error');
    const host = report.hosts.find((h) => h.name === gone);
    assert.equal(host?.status, 'error');
    assert.equal(host?.error?.phase, 'connect');
    assert.equal(report.hosts.find((h) => h.name === hn(2))?.status, 'drift', 'the other hosts are still checked');
    const errors = junitCases(readFileSync(junit, 'utf8')).filter((c) => c.error !== undefined);
    assert.deepEqual(errors.map((c) => c.suite), [gone]);
  });
});
