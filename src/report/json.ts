/** The JSON drift report, schema schemas/drift-report.schema.json; `report merge` reads it back. */
import { readFileSync } from 'node:fs';
import { validator } from '../config/schema.ts';
import { DRIFT_REPORT_FORMAT_VERSION, type DriftReport } from './drift-report.ts';

export function renderJson(report: DriftReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

export class ReportFileError extends Error {
  override name = 'ReportFileError';
}

export function readDriftReport(file: string): DriftReport {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ReportFileError(`cannot read drift report ${file}: ${(e as Error).message}`);
  }
  const version = (data as { format_version?: unknown } | null)?.format_version;
  if (typeof version === 'number' && version !== DRIFT_REPORT_FORMAT_VERSION) {
    throw new ReportFileError(`${file} has drift report format ${version}; this provision reads ${DRIFT_REPORT_FORMAT_VERSION}`);
  }
  const validate = validator('drift-report.schema.json');
  if (!validate(data)) {
    const first = validate.errors?.[0];
    throw new ReportFileError(`${file} is not a provision drift report (write one with provision drift --report json=FILE): ${first?.instancePath || '/'} ${first?.message ?? ''}`);
  }
  return data as DriftReport;
}
