/**
 * Reading a document provision wrote earlier (a saved plan, a drift report): JSON, of the format
 * version this provision reads (checked first, so a newer file says so instead of failing the
 * schema), valid against its schema. Errors name the file and what it should have been.
 */
import { readFileSync } from 'node:fs';
import { validator, type SCHEMA_FILES } from './schema.ts';

export interface JsonDocumentKind {
  /** Schema file under schemas/, e.g. "plan.schema.json". */
  readonly schema: (typeof SCHEMA_FILES)[keyof typeof SCHEMA_FILES];
  /** "plan", "drift report": used in messages. */
  readonly what: string;
  readonly version: number;
  /** Appended to the "is not a provision ..." message, e.g. how to write one. */
  readonly hint?: string;
  /** The error type callers catch. */
  readonly fail: (message: string) => Error;
}

export function readJsonDocument(file: string, kind: JsonDocumentKind): unknown {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw kind.fail(`cannot read ${kind.what} ${file}: ${(e as Error).message}`);
  }
  const version = (data as { format_version?: unknown } | null)?.format_version;
  if (typeof version === 'number' && version !== kind.version) {
    throw kind.fail(`${file} has ${kind.what} format ${version}; this provision reads ${kind.version}`);
  }
  const validate = validator(kind.schema);
  if (!validate(data)) {
    const first = validate.errors?.[0];
    throw kind.fail(`${file} is not a provision ${kind.what}${kind.hint ? ` (${kind.hint})` : ''}: ${first?.instancePath || '/'} ${first?.message ?? ''}`);
  }
  return data;
}
