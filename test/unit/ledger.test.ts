/** The host ledger: parsing, entries (no secrets), orphans, the next ledger, owed restarts; orphan plans. */
import assert from 'node:assert/strict';
import { asShellAll } from '../support/commands.ts';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { moduleFor } from '../../modules/registry.ts';
import { plain, renderHostPlan, renderSummary } from '../../src/cli/render-plan.ts';
import { loadConfiguration, type HostWork } from '../../src/config/playbook.ts';
import { EMPTY_LEDGER, entryOf, LedgerError, ledgerDiffers, mergePending, nextLedger, orphansOf, parseLedger, serialiseLedger, type LedgerEntry } from '../../src/engine/ledger.ts';
import { orphansKept, planOrphans, type OrphanState } from '../../src/engine/orphans.ts';
import { summarise } from '../../src/engine/plan-document.ts';
import type { HostPlan } from '../../src/engine/plan.ts';
import { tempFiles } from './helpers.ts';

function work(resources: string): HostWork {
  const dir = tempFiles({ 'p.yml': `- hosts: localhost\n  resources:\n${resources}` });
  const { config, diagnostics } = loadConfiguration({ playbook: join(dir, 'p.yml'), environment: { SECRET: 's3cr3t-value' } });
  assert.ok(config, JSON.stringify(diagnostics));
  return config.hosts[0] as HostWork;
}

const FILES = `    - kind: file
      path: /etc/app/app.conf
      content: "a\\n"
    - kind: file
      path: /etc/app/token
      content: '{{env "SECRET"}}'
    - kind: acl
      path: /srv/share
      entries: [{ type: user, name: nobody, perms: r }]
`;

describe('ledger', () => {
  test('no ledger yet is an empty ledger; a written ledger reads back the same', () => {
    assert.deepEqual(parseLedger(''), EMPTY_LEDGER);
    const w = work(FILES);
    const ledger = nextLedger({ playbook: w.graph.order, orphansKept: [], pending: [{ address: 'x', since: 't', by: ['y'] }], now: '2026-11-25T00:00:00.000Z', by: 'ops@laptop' });
    assert.deepEqual(parseLedger(serialiseLedger(ledger)), ledger);
  });

  test('a damaged ledger is an error saying what is wrong', () => {
    assert.throws(() => parseLedger('{'), LedgerError);
    assert.throws(() => parseLedger('[]'), /not a JSON object/);
    assert.throws(() => parseLedger('{"format_version":2,"resources":[]}'), /format 2; this provision reads 1/);
    assert.throws(() => parseLedger('{"format_version":1,"resources":[{"address":"a"}]}'), /resources\[0\] of the ledger/);
    assert.throws(() => parseLedger('{"format_version":1,"resources":[],"pending_refresh":[{"address":"a"}]}'), /pending_refresh\[0\]/);
  });

  test('entries hold what removal needs, never a secret; kinds without removal cannot be pruned', () => {
    const w = work(FILES);
    const [conf, token, acl] = w.graph.order.map(entryOf);
    assert.deepEqual(conf, { address: 'file:/etc/app/app.conf', kind: 'file', name: '/etc/app/app.conf', removal: { path: '/etc/app/app.conf', ensure: 'absent' }, sensitive: [] });
    assert.deepEqual(token?.removal, { path: '/etc/app/token', ensure: 'absent' });
    assert.deepEqual(token?.sensitive, ['content']);
    assert.ok(!serialiseLedger(nextLedger({ playbook: w.graph.order, orphansKept: [], pending: [], now: '', by: '' })).includes('s3cr3t'));
    assert.equal(acl?.removal, null);
  });

  test('orphans: in the ledger, not in the playbook; a resource that only got an explicit id is no orphan', () => {
    const before = work(FILES);
    const ledger = nextLedger({ playbook: before.graph.order, orphansKept: [], pending: [], now: '', by: '' });
    const after = work(`    - kind: file
      id: "file:app-config"
      path: /etc/app/app.conf
      content: "a\\n"
`);
    assert.deepEqual(orphansOf(ledger, after.graph.order).map((e) => e.address), ['file:/etc/app/token', 'acl:/srv/share']);
    assert.deepEqual(orphansOf(ledger, before.graph.order), []);
  });

  test('the ledger is rewritten only when its content changes', () => {
    const w = work(FILES);
    const a = nextLedger({ playbook: w.graph.order, orphansKept: [], pending: [], now: '1', by: 'x' });
    const b = nextLedger({ playbook: w.graph.order, orphansKept: [], pending: [], now: '2', by: 'y' });
    assert.equal(ledgerDiffers(a, b), false);
    assert.equal(ledgerDiffers(a, { ...b, pending_refresh: [{ address: 'file:/etc/app/app.conf', since: '1', by: [] }] }), true);
    assert.equal(ledgerDiffers(EMPTY_LEDGER, a), true);
  });

  test('owed restarts merge per resource: the earliest time, every trigger', () => {
    const merged = mergePending(
      [{ address: 's', since: '2026-11-25T10:00:00Z', by: ['file:/a'] }],
      [{ address: 's', since: '2026-11-25T11:00:00Z', by: ['file:/b', 'file:/a'] }, { address: 't', since: '2026-11-25T11:00:00Z', by: [] }],
    );
    assert.deepEqual(merged, [
      { address: 's', since: '2026-11-25T10:00:00Z', by: ['file:/a', 'file:/b'] },
      { address: 't', since: '2026-11-25T11:00:00Z', by: [] },
    ]);
  });
});

describe('orphan plans', () => {
  const file = moduleFor('file');
  assert.ok(file);
  const entry = (path: string): LedgerEntry => ({ address: `file:${path}`, kind: 'file', name: path, removal: { path, ensure: 'absent' }, sensitive: [] });
  const present = (path: string): OrphanState => ({
    entry: entry(path),
    read: { module: file, current: { exists: true, type: 'file' }, diff: { status: 'change', action: 'delete', changes: [{ attribute: 'content', before: 'x', after: undefined }] } },
    currentDigest: 'c',
  });
  const gone = (path: string): OrphanState => ({ entry: entry(path), read: { module: file, current: { exists: false }, diff: { status: 'ok', reason: `file ${path} is absent` } }, currentDigest: 'c' });
  const unprunable: OrphanState = { entry: { address: 'acl:/srv', kind: 'acl', name: '/srv', removal: null, sensitive: [] }, currentDigest: '' };

  test('without prune: shown with the reason, nothing deleted, kept in the ledger', () => {
    const p = planOrphans([present('/a'), gone('/b'), unprunable], false);
    assert.deepEqual(p.resources.map((r) => [r.address, r.action, r.orphan]), [
      ['file:/a', 'none', { prunable: true }],
      ['file:/b', 'none', { prunable: true }],
      ['acl:/srv', 'none', { prunable: false }],
    ]);
    assert.match(p.resources[0]?.reason ?? '', /--prune .* deletes it/);
    assert.match(p.resources[1]?.reason ?? '', /already gone/);
    assert.match(p.resources[2]?.reason ?? '', /acl cannot be pruned/);
    assert.deepEqual(p.steps, []);
    assert.deepEqual(orphansKept([present('/a'), gone('/b'), unprunable], false, new Set()).map((e) => e.address), ['file:/a', 'acl:/srv']);
  });

  test('with prune: present orphans are deleted, dependents first; what is removed or unprunable is forgotten', () => {
    const orphans = [present('/dir'), present('/dir/file'), unprunable];
    const p = planOrphans(orphans, true);
    assert.deepEqual(p.resources.map((r) => r.action), ['delete', 'delete', 'none']);
    assert.deepEqual(p.steps.map((s) => s.address), ['file:/dir/file', 'file:/dir'], 'reverse ledger order');
    assert.deepEqual(asShellAll(p.steps[0]?.commands ?? []).map((c) => c.argv), [['rm', '-f', '--', '/dir/file']]);
    assert.deepEqual(orphansKept(orphans, true, new Set(['file:/dir/file'])).map((e) => e.address), ['file:/dir'], 'a failed delete stays on record');
  });

  test('a pruned orphan that held a secret shows it redacted', () => {
    const o = present('/token');
    const p = planOrphans([{ ...o, entry: { ...o.entry, sensitive: ['content'] } }], true);
    assert.deepEqual(p.resources[0]?.changes, [{ attribute: 'content', before: '(sensitive)', sensitive: true }]);
  });

  test('the summary counts orphans apart and lists failed, interrupted and not-attempted hosts exactly', () => {
    const orphanPlan = planOrphans([present('/a')], false).resources;
    const plans: HostPlan[] = [
      { host: 'web1', address: 'web1', resources: [...orphanPlan, { address: 'file:/b', kind: 'file', name: '/b', action: 'none', reason: 'ok', changes: [], currentDigest: '', desiredDigest: '' }] },
      { host: 'web2', address: 'web2', error: { message: 'web2 (10.0.0.2:22): connection refused', phase: 'connect' }, resources: [] },
      { host: 'web3', address: 'web3', error: { message: 'interrupted (Ctrl-C) after reading the host; nothing was changed', phase: 'interrupted' }, resources: [] },
      { host: 'web4', address: 'web4', not_attempted: { reason: 'interrupted (Ctrl-C) before this host was started' }, resources: [] },
      { host: 'web5', address: 'web5', not_attempted: { reason: 'interrupted (Ctrl-C) before this host was started' }, resources: [] },
    ];
    const summary = summarise(plans);
    assert.deepEqual([summary.hosts, summary.hosts_failed, summary.hosts_interrupted, summary.hosts_not_attempted, summary.orphans, summary.unchanged], [5, 1, 1, 2, 1, 1]);
    assert.equal(
      renderSummary(summary, plans, 'Applied', plain),
      [
        'Applied: 0 created, 0 updated, 0 deleted, 1 unchanged, 1 orphan kept on 1 of 5 hosts.',
        '1 host failed:',
        '  web2 (10.0.0.2:22): connection refused',
        '1 host interrupted:',
        '  web3: interrupted (Ctrl-C) after reading the host; nothing was changed',
        '2 hosts not attempted: web4, web5',
        '  (interrupted (Ctrl-C) before this host was started)',
      ].join('\n'),
    );
    assert.deepEqual(renderHostPlan(plans[3] as HostPlan, plain), ['host web4', '  not attempted: interrupted (Ctrl-C) before this host was started']);
    assert.match(renderHostPlan(plans[0] as HostPlan, plain).join('\n'), /\? file:\/a {2}\(orphan: no longer in the playbook; --prune/);
  });
});
