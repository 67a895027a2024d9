/** Plan text: attribute-level changes, content as a line diff, secrets never shown. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { unifiedLineDiff } from '../../src/cli/text-diff.ts';
import { plain, renderHostPlan, renderSummary } from '../../src/cli/render-plan.ts';
import { summarise } from '../../src/engine/plan-document.ts';
import type { HostPlan } from '../../src/engine/plan.ts';
import { redactChange, scrub } from '../../src/engine/redact.ts';

const plan: HostPlan = {
  host: 'web1',
  address: '10.0.0.1',
  resources: [
    { address: 'user:app', kind: 'user', name: 'app', action: 'create', changes: [{ attribute: 'name', after: 'app' }], currentDigest: 'a', desiredDigest: 'b' },
    { address: 'file:/etc/a', kind: 'file', name: '/etc/a', action: 'update', changes: [{ attribute: 'mode', before: '0600', after: '0644' }, { attribute: 'content', before: 'a\nb\nc\n', after: 'a\nB\nc\n' }], currentDigest: 'a', desiredDigest: 'b' },
    { address: 'systemd_service:app', kind: 'systemd_service', name: 'app', action: 'refresh', changes: [], refresh: { reason: 'restart', by: ['file:/etc/a'] }, currentDigest: 'a', desiredDigest: 'b' },
    { address: 'group:app', kind: 'group', name: 'app', action: 'none', reason: 'exists', changes: [], currentDigest: 'a', desiredDigest: 'b' },
  ],
};

describe('plan rendering', () => {
  test('Terraform-like lines per resource and attribute', () => {
    assert.deepEqual(renderHostPlan(plan, plain), [
      'host web1 (10.0.0.1)',
      '  + user:app  (create)',
      '      name: "app"',
      '  ~ file:/etc/a  (update)',
      '      mode: "0600" -> "0644"',
      '      content:',
      '          a',
      '        - b',
      '        + B',
      '          c',
      '  ~ systemd_service:app  (refresh)',
      '      restart (by file:/etc/a)',
      '  1 unchanged',
    ]);
  });

  test('summary counts and names failed hosts', () => {
    const failed: HostPlan = { host: 'db1', address: 'db1', error: { message: 'connection refused', phase: 'connect' }, resources: [] };
    const plans = [plan, failed];
    assert.equal(
      renderSummary(summarise(plans), plans, 'Plan', plain),
      'Plan: 1 to create, 1 to update, 0 to delete, 1 to refresh, 1 unchanged on 1 of 2 hosts.\n2 hosts failed:'.replace('2 hosts failed:', '1 host failed:') + '\n  db1: connection refused',
    );
  });

  test('line diff elides long unchanged runs', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const after = before.replace('line 10', 'line ten');
    assert.deepEqual(unifiedLineDiff(before, after), ['  … 8 unchanged lines', '  line 8', '  line 9', '- line 10', '+ line ten', '  line 11', '  line 12', '  … 7 unchanged lines']);
  });
});

describe('redaction', () => {
  test('sensitive attributes and their parts are redacted, others are not', () => {
    const paths = new Set(['environment.TOKEN', 'content']);
    assert.deepEqual(redactChange({ attribute: 'environment.TOKEN', before: 'old', after: 'new' }, paths), { attribute: 'environment.TOKEN', before: '(sensitive)', after: '(sensitive)', sensitive: true });
    assert.deepEqual(redactChange({ attribute: 'environment', before: { TOKEN: 'x' }, after: {} }, paths), { attribute: 'environment', before: '(sensitive)', after: '(sensitive)', sensitive: true });
    assert.deepEqual(redactChange({ attribute: 'content', before: undefined, after: 'x' }, paths), { attribute: 'content', after: '(sensitive)', sensitive: true });
    assert.deepEqual(redactChange({ attribute: 'mode', before: '0600', after: '0644' }, paths), { attribute: 'mode', before: '0600', after: '0644' });
  });

  test('scrub removes secret values from free text', () => {
    assert.equal(scrub('error: token s3cr3t-value rejected (s3cr3t-value)', ['s3cr3t-value']), 'error: token (sensitive) rejected ((sensitive))');
  });
});
