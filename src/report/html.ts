/**
 * The drift report as one self-contained HTML page: inline CSS, no scripts, no external
 * resources, so it opens from a CI artifact or a file. A fleet matrix (hosts x resources, each
 * cell a coloured text label), a summary, every host error, and the attribute diffs of each
 * drifted resource. Every value is escaped.
 */
import { contentDiff, driftHeadline, valueText } from './change-text.ts';
import type { DriftReport, ReportChange, ReportHost, ReportResource, ReportShard } from './drift-report.ts';
import { HTML_STYLE } from './html-style.ts';
import { escapeAttribute as attr, escapeText as esc } from './xml-escape.ts';

const LABEL = { ok: 'in sync', in_sync: 'in sync', drift: 'drift', error: 'error' } as const;

function shardText(shard: ReportShard): string {
  if (!shard) return 'whole fleet';
  if ('index' in shard) return `${shard.index}/${shard.count}`;
  return `merged shards ${shard.merged.join(', ')} of ${shard.count}`;
}

/** Anchors come from positions, never from names, so no name needs escaping into an id. */
const hostId = (h: number): string => `host-${h}`;
const resId = (h: number, r: number): string => `host-${h}-res-${r}`;

function verdict(report: DriftReport): string {
  const s = report.summary;
  const text =
    report.status === 'error' ? `ERROR: ${s.hosts_error} of ${s.hosts} hosts could not be checked` : report.status === 'drift' ? `DRIFT: ${s.hosts_drift} of ${s.hosts} hosts drifted` : `IN SYNC: all ${s.hosts} hosts match the playbook`;
  return `<p class="verdict s-${report.status === 'ok' ? 'ok' : report.status}">${esc(text)}</p>`;
}

function metaTable(report: DriftReport): string {
  const rows: [string, string][] = [
    ['playbook', report.playbook],
    ['inventory', report.inventory ?? '(localhost)'],
    ['limit', report.limit ?? '(none)'],
    ['shard', shardText(report.shard)],
    ['generated', report.generated_at],
  ];
  return `<table class="meta">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(v)}</code></td></tr>`).join('')}</table>`;
}

function summaryTable(report: DriftReport): string {
  const s = report.summary;
  const rows: [string, number, string][] = [
    ['hosts', s.hosts, ''],
    ['hosts in sync', s.hosts_ok, 's-ok'],
    ['hosts drifted', s.hosts_drift, s.hosts_drift > 0 ? 's-drift' : ''],
    ['hosts with errors', s.hosts_error, s.hosts_error > 0 ? 's-error' : ''],
    ['resources checked', s.resources, ''],
    ['resources drifted', s.resources_drift, s.resources_drift > 0 ? 's-drift' : ''],
  ];
  return `<table class="summary">${rows.map(([k, n, c]) => `<tr><th>${esc(k)}</th><td class="${c}">${n}</td></tr>`).join('')}</table>`;
}

/** Every resource address in the report, in the order hosts first list them. */
function columns(hosts: readonly ReportHost[]): string[] {
  const seen = new Set<string>();
  for (const h of hosts) for (const r of h.resources) seen.add(r.address);
  return [...seen];
}

function cell(h: number, host: ReportHost, address: string): string {
  const i = host.resources.findIndex((r) => r.address === address);
  const r = host.resources[i];
  if (!r) return '<td class="s-absent" title="not in the playbook for this host">n/a</td>';
  if (r.status === 'in_sync') return `<td class="s-in_sync">${LABEL.in_sync}</td>`;
  return `<td class="s-drift" title="${attr(driftHeadline(r))}"><a href="#${resId(h, i)}">drift (${esc(r.action)})</a></td>`;
}

function matrix(report: DriftReport): string {
  const cols = columns(report.hosts);
  const head = `<tr><th>host</th><th>status</th>${cols.map((c) => `<th class="res">${esc(c)}</th>`).join('')}</tr>`;
  const rows = report.hosts.map((host, h) => {
    const name = host.status === 'ok' ? esc(host.name) : `<a href="#${hostId(h)}">${esc(host.name)}</a>`;
    const status = `<td class="s-${host.status}">${LABEL[host.status]}</td>`;
    const cells =
      host.status === 'error'
        ? `<td class="s-error" colspan="${Math.max(1, cols.length)}">error: ${esc(host.error?.message ?? 'failed')}</td>`
        : cols.map((c) => cell(h, host, c)).join('');
    return `<tr><th>${name}</th>${status}${cells}</tr>`;
  });
  const legend = `<p class="legend">Legend: <span class="s-in_sync">in sync</span><span class="s-drift">drift</span><span class="s-error">error</span><span class="s-absent">n/a: not managed on that host</span></p>`;
  return `${legend}<div class="scroll"><table class="matrix"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function changeRow(c: ReportChange): string {
  const name = `<td><code>${esc(c.attribute)}</code>${c.sensitive ? ' (sensitive)' : ''}</td>`;
  const diff = contentDiff(c);
  if (diff) {
    const lines = diff.map((l) => `<span class="${l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : 'ctx'}">${esc(l)}</span>`).join('\n');
    return `<tr>${name}<td colspan="2"><pre>${lines}</pre></td></tr>`;
  }
  return `<tr>${name}<td class="del"><pre>${esc(valueText(c.before))}</pre></td><td class="add"><pre>${esc(valueText(c.after))}</pre></td></tr>`;
}

function resourceDetail(h: number, r: ReportResource, i: number): string {
  const title = `<h4 id="${resId(h, i)}">${esc(r.address)} <span class="s-drift">drift (${esc(r.action)})</span></h4>`;
  const reason = r.reason ? `<p>${esc(r.reason)}</p>` : '';
  if (r.changes.length === 0) return `${title}${reason}${reason ? '' : '<p>no attribute changes</p>'}`;
  const head = '<tr><th>attribute</th><th>on the host</th><th>in the playbook</th></tr>';
  return `${title}${reason}<table class="changes">${head}${r.changes.map(changeRow).join('')}</table>`;
}

function hostDetail(host: ReportHost, h: number): string {
  const title = `<h3 id="${hostId(h)}">${esc(host.name)} <small>(${esc(host.address)})</small> <span class="s-${host.status}">${LABEL[host.status]}</span></h3>`;
  if (host.status === 'error') {
    const e = host.error;
    const rows: [string, string | null | undefined][] = [
      ['message', e?.message],
      ['phase', e?.phase],
      ['resource', e?.resource],
      ['hint', e?.hint],
    ];
    return `${title}<table>${rows.filter(([, v]) => v).map(([k, v]) => `<tr><th>${k}</th><td><pre>${esc(v ?? '')}</pre></td></tr>`).join('')}</table>`;
  }
  return title + host.resources.map((r, i) => (r.status === 'drift' ? resourceDetail(h, r, i) : '')).join('');
}

export function renderHtml(report: DriftReport): string {
  const troubled = report.hosts.map((host, h) => (host.status === 'ok' ? '' : hostDetail(host, h))).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`Drift report: ${report.status} (${report.playbook})`)}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<h1>Drift report</h1>
${verdict(report)}
${metaTable(report)}
<h2>Summary</h2>
${summaryTable(report)}
<h2>Fleet matrix</h2>
${report.hosts.length > 0 ? matrix(report) : '<p>No hosts were selected.</p>'}
<h2>Drift and errors</h2>
${troubled || '<p>Nothing drifted and every host was checked.</p>'}
</body>
</html>
`;
}
