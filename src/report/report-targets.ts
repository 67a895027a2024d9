/**
 * `--report FORMAT=FILE` (repeatable): which report goes where, and writing them all. Each format
 * is one renderer in its own file.
 */
import { writeFileSync } from 'node:fs';
import type { DriftReport } from './drift-report.ts';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';

const RENDERERS = { json: renderJson, junit: renderJunit, html: renderHtml } as const;

export type ReportFormat = keyof typeof RENDERERS;

export const REPORT_FORMATS = Object.keys(RENDERERS) as ReportFormat[];

export interface ReportTarget {
  readonly format: ReportFormat;
  readonly file: string;
}

export class ReportTargetError extends Error {
  override name = 'ReportTargetError';
}

function isFormat(s: string): s is ReportFormat {
  return Object.hasOwn(RENDERERS, s);
}

export function parseReportTarget(text: string): ReportTarget {
  const eq = text.indexOf('=');
  const format = eq < 0 ? text : text.slice(0, eq);
  const file = eq < 0 ? '' : text.slice(eq + 1);
  if (!isFormat(format)) throw new ReportTargetError(`"${text}": unknown report format "${format}"; use ${REPORT_FORMATS.map((f) => `${f}=FILE`).join(', ')}`);
  if (file === '') throw new ReportTargetError(`"${text}": name the file, e.g. --report ${format}=drift.${format === 'junit' ? 'xml' : format}`);
  return { format, file };
}

export function renderReport(format: ReportFormat, report: DriftReport): string {
  return RENDERERS[format](report);
}

/** Writes every report; returns the problems (one line each) instead of stopping at the first. */
export function writeReports(targets: readonly ReportTarget[], report: DriftReport): string[] {
  const problems: string[] = [];
  for (const t of targets) {
    try {
      writeFileSync(t.file, renderReport(t.format, report));
    } catch (e) {
      problems.push(`cannot write the ${t.format} report to ${t.file}: ${(e as Error).message}`);
    }
  }
  return problems;
}
