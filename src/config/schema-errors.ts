/** Turns Ajv's errors into diagnostics a person can act on: what is wrong, where, and a hint. */
import type { ErrorObject } from 'ajv';
import { closest, type Diagnostic } from './diagnostics.ts';
import { locate, parsePointer, pointer, type JsonPath, type YamlSource } from './yaml-source.ts';

interface SchemaLike {
  properties?: Record<string, { description?: string }>;
  description?: string;
  oneOf?: unknown[];
}

/**
 * Ajv reports a failed oneOf together with the failure of every branch; with a discriminator
 * only the chosen branch matters. We keep the most specific errors: drop an error when a deeper
 * one exists below the same path, and drop oneOf summaries.
 */
function mostSpecific(errors: readonly ErrorObject[]): ErrorObject[] {
  const tagged = new Set(errors.filter((e) => e.keyword === 'discriminator').map((e) => `${e.instancePath}/kind`));
  const kept = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if' && !(e.keyword === 'enum' && tagged.has(e.instancePath)));
  return kept.filter(
    (e) => !(e.keyword === 'type' && kept.some((o) => o !== e && o.instancePath === e.instancePath && o.keyword !== 'type' && e.schemaPath.includes('oneOf'))),
  );
}

export function schemaDiagnostics(
  errors: readonly ErrorObject[],
  src: YamlSource,
  options: { prefix?: JsonPath; host?: string; kinds?: readonly string[] } = {},
): Diagnostic[] {
  const prefix = options.prefix ?? [];
  const out: Diagnostic[] = [];
  for (const e of mostSpecific(errors)) {
    const path = [...prefix, ...parsePointer(e.instancePath)];
    const parent = (e.parentSchema ?? {}) as SchemaLike;
    let message: string;
    let hint: string | undefined;
    let at: JsonPath = path;
    let onKey = false;
    switch (e.keyword) {
      case 'additionalProperties': {
        const name = String((e.params as { additionalProperty: string }).additionalProperty);
        const allowed = Object.keys(parent.properties ?? {});
        message = `unknown attribute "${name}"`;
        const guess = closest(name, allowed);
        hint = guess ? `did you mean "${guess}"?` : `allowed here: ${allowed.join(', ')}`;
        at = [...path, name];
        onKey = true;
        break;
      }
      case 'required': {
        const name = String((e.params as { missingProperty: string }).missingProperty);
        message = `missing required attribute "${name}"`;
        const desc = parent.properties?.[name]?.description;
        hint = desc ? `${name}: ${desc}` : undefined;
        break;
      }
      case 'discriminator': {
        const tag = (e.params as { tagValue?: unknown }).tagValue;
        message = tag === undefined ? 'a resource needs a "kind"' : `unknown resource kind ${JSON.stringify(tag)}`;
        const guess = typeof tag === 'string' && options.kinds ? closest(tag, options.kinds) : undefined;
        hint = guess ? `did you mean "${guess}"?` : options.kinds ? `known kinds: ${options.kinds.join(', ')}` : undefined;
        at = [...path, 'kind'];
        break;
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
        hint = parent.description;
        break;
      }
      case 'type': {
        const want = (e.params as { type: string | string[] }).type;
        message = `expected ${Array.isArray(want) ? want.join(' or ') : want}, got ${describe(e.data)}`;
        hint = parent.description;
        break;
      }
      case 'pattern':
        message = `${JSON.stringify(e.data)} is not valid here`;
        hint = parent.description ?? `must match ${String((e.params as { pattern: string }).pattern)}`;
        break;
      case 'const':
        message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
        break;
      case 'not':
        message = (e.schema as { description?: string } | undefined)?.description ?? 'this combination of attributes is not allowed';
        break;
      default:
        message = e.message ?? `fails ${e.keyword}`;
        hint = parent.description;
    }
    out.push({ severity: 'error', location: locate(src, at, onKey), path: pointer(at), message, hint, host: options.host });
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
