/**
 * `provision report merge A.json B.json ...`: joins shard reports into one and writes it in any
 * format. Exit 1 when it refuses or a shard is missing; with --detailed-exitcode the merged
 * verdict otherwise (0 no drift, 2 drift, 1 errors), as `provision drift` would have exited.
 */
import { exitCodeFor } from '../../report/drift-report.ts';
import { readDriftReport, renderJson, ReportFileError } from '../../report/json.ts';
import { mergeReports, MergeError, type NamedReport } from '../../report/merge.ts';
import type { ReportTarget } from '../../report/report-targets.ts';
import { renderDriftSummary } from '../render-drift.ts';
import { writeReportsOrSay } from './report-options.ts';
import { styleFor } from './shared.ts';

export interface ReportMergeOptions {
  files: readonly string[];
  report: readonly ReportTarget[];
  detailedExitcode?: boolean;
}

export function runReportMerge(opts: ReportMergeOptions): number {
  let merged;
  try {
    const inputs: NamedReport[] = opts.files.map((file) => ({ file, report: readDriftReport(file) }));
    merged = mergeReports(inputs);
  } catch (e) {
    if (e instanceof ReportFileError || e instanceof MergeError) {
      console.error(`provision: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const { report, missing } = merged;
  // Without --report the merged JSON is the output, so it can be piped.
  if (opts.report.length === 0) process.stdout.write(renderJson(report));
  else console.log(renderDriftSummary(report, styleFor(process.stdout)));
  const written = writeReportsOrSay(opts.report, report);
  if (missing.length > 0) {
    const count = report.shard && 'count' in report.shard ? report.shard.count : missing.length;
    console.error(`provision: the merged report is incomplete: no report for shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')}; check that runner and merge its report too`);
    return 1;
  }
  if (!written) return 1;
  return opts.detailedExitcode ? exitCodeFor(report) : 0;
}
