/** The JUnit report parsed back as a CI system reads it: counts, failures, errors, hostile names. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { driftReport } from '../../src/report/drift-report.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { junitCases } from '../support/junit.ts';
import { fleetPlans, HOSTILE } from './drift-fixtures.ts';

const meta = { playbook: '/srv/site & <co>.yml', inventory: null, limit: null, shard: null };

describe('JUnit drift report', () => {
  const xml = renderJunit(driftReport(fleetPlans(), meta, new Date('2026-01-02T03:04:05.678Z')));
  const cases = junitCases(xml);

  test('one testcase per host and resource; an unreachable host is one testcase with an error', () => {
    assert.deepEqual(
      cases.map((c) => [c.suite, c.name, c.failure !== undefined, c.error !== undefined]),
      [
        ['db1', 'db1 (plan)', false, true],
        [HOSTILE.replace('\u0001', '\\u0001'), `file:/tmp/${HOSTILE.replace('\u0001', '\\u0001')}`, true, false],
        [HOSTILE.replace('\u0001', '\\u0001'), 'systemd_service:app', true, false],
        ['web2', 'file:/etc/app.conf', true, false],
        ['web2', 'systemd_service:app', true, false],
        ['web2', 'user:app', false, false],
        ['web10', 'file:/etc/app.conf', false, false],
        ['web10', 'systemd_service:app', false, false],
        ['web10', 'user:app', false, false],
      ],
    );
  });

  test('a failure names the drift and lists each attribute before -> after; content as a line diff', () => {
    const conf = cases.find((c) => c.suite === 'web2' && c.name === 'file:/etc/app.conf');
    assert.equal(conf?.failure, 'drift: update: mode, content\nweb2 file:/etc/app.conf: update: mode, content\nmode: "0604" -> "0640"\ncontent:\n    a = 1\n  - b = 2\n  + b = 3');
    const secret = cases.find((c) => c.suite === 'web2' && c.name === 'systemd_service:app');
    assert.match(secret?.failure ?? '', /environment\.TOKEN: "\(sensitive\)" -> "\(sensitive\)"/);
    const orphan = cases.find((c) => c.name === 'systemd_service:app' && c.suite !== 'web2');
    assert.match(orphan?.failure ?? '', /^drift: orphan-delete \(in the ledger, not in the playbook\)/);
  });

  test('an error carries the message and the hint', () => {
    assert.equal(cases[0]?.error, 'db1: cannot connect to 10.0.0.5:22: connect ECONNREFUSED\ndb1: cannot connect to 10.0.0.5:22: connect ECONNREFUSED\nhint: is sshd running on db1?');
    assert.match(xml, /<error message="[^"]*" type="connect">/);
  });

  test('hostile names round-trip through attributes and text; nothing raw reaches the XML', () => {
    const hostile = cases.find((c) => c.name === 'systemd_service:app' && c.suite !== 'web2');
    assert.equal(hostile?.classname, HOSTILE.replace('\u0001', '\\u0001'));
    assert.ok(!xml.includes('<script>'), 'markup in names is escaped');
    assert.ok(!xml.includes('\u0001'), 'characters XML forbids are shown, not written');
    assert.match(xml, /<testsuites name="provision drift \/srv\/site &amp; &lt;co&gt;\.yml" tests="9" failures="4" errors="1"/);
    assert.match(xml, /timestamp="2026-01-02T03:04:05"/);
  });

  test('an empty fleet is still a valid JUnit document', () => {
    assert.deepEqual(junitCases(renderJunit(driftReport([], meta))), []);
  });
});
