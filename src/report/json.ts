/** The JSON drift report, schema schemas/drift-report.schema.json; `report merge` reads it back. */
import { readJsonDocument } from '../config/json-document.ts';
import { DRIFT_REPORT_FORMAT_VERSION, type DriftReport } from './drift-report.ts';

export function renderJson(report: DriftReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

export class ReportFileError extends Error {
  override name = 'ReportFileError';
}

export function readDriftReport(file: string): DriftReport {
  return readJsonDocument(file, {
    schema: 'drift-report.schema.json',
    what: 'drift report',
    version: DRIFT_REPORT_FORMAT_VERSION,
    hint: 'write one with provision drift --report json=FILE',
    fail: (m) => new ReportFileError(m),
  }) as DriftReport;
}
