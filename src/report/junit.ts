/**
 * The drift report as JUnit XML for CI systems: one testsuite per host, one testcase per
 * resource; a drifted resource is a <failure> whose body lists its attribute changes; a host that
 * could not be planned is one testcase with an <error>.
 */
import { changeLines, driftHeadline } from './change-text.ts';
import type { DriftReport, ReportHost, ReportResource } from './drift-report.ts';
import { escapeAttribute as attr, escapeText as text } from './xml-escape.ts';

function testcase(host: ReportHost, r: ReportResource): string {
  const open = `    <testcase classname="${attr(host.name)}" name="${attr(r.address)}" time="0"`;
  if (r.status === 'in_sync') return `${open}/>`;
  const body = [`${host.name} ${r.address}: ${driftHeadline(r)}`, ...r.changes.flatMap(changeLines), ...(r.reason ? [`reason: ${r.reason}`] : [])].join('\n');
  return `${open}>\n      <failure message="${attr(`drift: ${driftHeadline(r)}`)}" type="${attr(r.action)}">${text(body)}</failure>\n    </testcase>`;
}

function errorCase(host: ReportHost): string {
  const e = host.error;
  const message = e?.message ?? 'failed';
  const body = [message, ...(e?.resource ? [`resource: ${e.resource}`] : []), ...(e?.hint ? [`hint: ${e.hint}`] : [])].join('\n');
  return `    <testcase classname="${attr(host.name)}" name="${attr(`${host.name} (plan)`)}" time="0">\n      <error message="${attr(message)}" type="${attr(e?.phase ?? 'error')}">${text(body)}</error>\n    </testcase>`;
}

function suite(host: ReportHost, timestamp: string): string {
  const cases = host.status === 'error' ? [errorCase(host)] : host.resources.map((r) => testcase(host, r));
  const failures = host.status === 'error' ? 0 : host.resources.filter((r) => r.status === 'drift').length;
  const errors = host.status === 'error' ? 1 : 0;
  const head = `  <testsuite name="${attr(host.name)}" hostname="${attr(host.address)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="0" timestamp="${attr(timestamp)}">`;
  return [head, ...cases, '  </testsuite>'].join('\n');
}

export function renderJunit(report: DriftReport): string {
  // JUnit timestamps have no zone suffix and no fraction.
  const timestamp = report.generated_at.replace(/\.\d+Z$|Z$/, '');
  const suites = report.hosts.map((h) => suite(h, timestamp));
  const tests = report.hosts.reduce((n, h) => n + (h.status === 'error' ? 1 : h.resources.length), 0);
  const failures = report.hosts.reduce((n, h) => n + (h.status === 'error' ? 0 : h.resources.filter((r) => r.status === 'drift').length), 0);
  const errors = report.summary.hosts_error;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`provision drift ${report.playbook}`)}" tests="${tests}" failures="${failures}" errors="${errors}" time="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
