/** The short drift summary `provision drift` prints: the verdict, then one line per drifted or failed host. */
import { driftHeadline } from '../report/change-text.ts';
import type { DriftReport, ReportShard } from '../report/drift-report.ts';
import { visible } from '../report/xml-escape.ts';
import type { Style } from './render-plan.ts';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function shardNote(shard: ReportShard): string {
  if (!shard) return '';
  return 'index' in shard ? ` (shard ${shard.index}/${shard.count})` : ` (shards ${shard.merged.join(', ')} of ${shard.count})`;
}

export function renderDriftSummary(report: DriftReport, s: Style): string {
  const m = report.summary;
  const head =
    `${s.bold('Drift:')} ${m.hosts_drift} of ${plural(m.hosts, 'host')} drifted, ${m.hosts_error} failed, ${m.hosts_ok} in sync; ` +
    `${m.resources_drift} of ${plural(m.resources, 'resource')} drifted${shardNote(report.shard)}.`;
  const lines = [head];
  for (const h of report.hosts) {
    if (h.status === 'drift') {
      const drifted = h.resources.filter((r) => r.status === 'drift');
      lines.push(`  ${s.yellow('~')} ${visible(`${h.name}: ${drifted.map((r) => `${r.address} (${driftHeadline(r)})`).join(', ')}`)}`);
    } else if (h.status === 'error' && h.error) {
      const where = [h.error.phase, h.error.resource].filter(Boolean).join(', ');
      // Transport errors already start with the host's name.
      const named = h.error.message.startsWith(`${h.name} `) || h.error.message.startsWith(`${h.name}:`);
      lines.push(`  ${s.red('!')} ${visible(`${h.name}${where ? ` (${where})` : ''}: ${named ? h.error.message.slice(h.name.length).replace(/^:?\s*/, '') : h.error.message}`)}`);
      if (h.error.hint) lines.push(`      hint: ${visible(h.error.hint)}`);
    }
  }
  if (report.status === 'ok') lines.push(s.green('No drift: every host matches the playbook.'));
  return lines.join('\n');
}
