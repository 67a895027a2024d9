/**
 * The HTML report: self-contained, every value escaped, the matrix labelled in text. Parsed with
 * xmldom's HTML parser here; test/e2e/drift.test.ts renders one in headless Chromium.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { driftReport } from '../../src/report/drift-report.ts';
import { renderHtml } from '../../src/report/html.ts';
import { elementsOf, tableRows, tagOf, visibleText } from '../support/html-text.ts';
import { fleetPlans, HOSTILE } from './drift-fixtures.ts';

const meta = { playbook: '/srv/<b>site</b>.yml', inventory: null, limit: 'web*', shard: { index: 1, count: 2 } };

const elements = elementsOf;
const tag = tagOf;
const text = visibleText;

describe('HTML drift report', () => {
  const html = renderHtml(driftReport(fleetPlans(), meta, new Date('2026-01-02T03:04:05Z')));
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const all = elements(doc);
  const shown = HOSTILE.replace('\u0001', '\\u0001');

  test('self-contained: inline style only, no scripts, no external resources', () => {
    assert.deepEqual(all.filter((e) => ['script', 'link', 'img', 'iframe', 'object', 'embed'].includes(tag(e))).map(tag), []);
    assert.ok(!/\b(src|srcset)=|https?:\/\/|url\(/i.test(html), 'nothing is loaded from elsewhere');
    assert.equal(all.filter((e) => tag(e) === 'style').length, 1);
    assert.ok(all.every((e) => !Array.from(e.attributes).some((a) => a.name.toLowerCase().startsWith('on'))), 'no event handlers');
  });

  test('every value is escaped: hostile names come out as text, never as markup', () => {
    assert.ok(!html.includes('<script>') && !html.includes('<b>site'), 'no raw markup from values');
    assert.ok(!html.includes('\u0001'));
    const hostRow = all.filter((e) => tag(e) === 'tr').find((tr) => text(tr).startsWith(shown));
    assert.ok(hostRow, 'the hostile host has its row, its name shown literally');
    assert.ok(text(doc.documentElement as Element).includes('/srv/<b>site</b>.yml'));
    const ownerRow = all.filter((e) => tag(e) === 'tr').find((tr) => text(tr).startsWith('owner'));
    assert.equal(ownerRow && text(ownerRow), `owner ${JSON.stringify(HOSTILE)} "root"`);
  });

  test('the fleet matrix: a row per host, a column per resource, each cell a text label', () => {
    const matrix = all.find((e) => tag(e) === 'table' && e.getAttribute('class') === 'matrix');
    assert.ok(matrix);
    assert.deepEqual(tableRows(doc, 'matrix', 'all'), [
      ['host', 'status', `file:/tmp/${shown}`, 'systemd_service:app', 'file:/etc/app.conf', 'user:app'],
      ['db1', 'error', 'error: db1: cannot connect to 10.0.0.5:22: connect ECONNREFUSED'],
      [shown, 'drift', 'drift (update)', 'drift (orphan-delete)', 'n/a', 'n/a'],
      ['web2', 'drift', 'n/a', 'drift (update)', 'drift (update)', 'in sync'],
      ['web10', 'in sync', 'n/a', 'in sync', 'in sync', 'in sync'],
    ]);
    const classes = elements(matrix).filter((e) => tag(e) === 'td').map((td) => `${td.getAttribute('class')}:${text(td).split(' ')[0]}`);
    assert.ok(classes.every((c) => /^s-(in_sync:in|drift:drift|error:(error:?|in|drift)|absent:n\/a|ok:in)$/.test(c)), `colour follows the label: ${classes.join(', ')}`);
  });

  test('summary, shard and the attribute diffs of each drifted resource', () => {
    const body = text(all.find((e) => tag(e) === 'body') as Element);
    assert.match(body, /ERROR: 1 of 4 hosts could not be checked/);
    assert.match(body, /shard 1\/2/);
    assert.match(body, /hosts drifted 2 hosts with errors 1 resources checked 8 resources drifted 4/);
    assert.match(body, /file:\/etc\/app\.conf drift \(update\) attribute on the host in the playbook mode "0604" "0640" content a = 1 - b = 2 \+ b = 3/);
    assert.match(body, /environment\.TOKEN \(sensitive\) "\(sensitive\)" "\(sensitive\)"/);
    assert.match(body, /message db1: cannot connect .* phase connect hint is sshd running on db1\?/);
    const links = all.filter((e) => tag(e) === 'a').map((a) => a.getAttribute('href'));
    const ids = new Set(all.map((e) => e.getAttribute('id')).filter(Boolean));
    assert.ok(links.length > 0 && links.every((l) => l?.startsWith('#') && ids.has(l.slice(1))), 'matrix links reach their details');
  });

  test('a fleet in sync says so', () => {
    const ok = renderHtml(driftReport(fleetPlans().filter((p) => p.host === 'web10'), { ...meta, shard: null }));
    assert.match(ok, /IN SYNC: all 1 hosts match the playbook/);
    assert.match(ok, /Nothing drifted and every host was checked/);
  });
});
