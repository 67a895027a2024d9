/**
 * JSON Schemas: the playbook schema is generated from the module registry (so it can never
 * disagree with the modules), the inventory and shared definitions are files in schemas/.
 * One Ajv instance compiles them all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { AnyModule } from '../../modules/registry.ts';
import { modules } from '../../modules/registry.ts';
import { packageRoot } from '../core/paths.ts';

export const SCHEMA_FILES = {
  definitions: 'definitions.schema.json',
  inventory: 'inventory.schema.json',
  playbook: 'playbook.schema.json',
  plan: 'plan.schema.json',
  driftReport: 'drift-report.schema.json',
} as const;

export function schemaDir(): string {
  return join(packageRoot(), 'schemas');
}

function readSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(schemaDir(), file), 'utf8')) as Record<string, unknown>;
}

/** The attributes every resource has, whatever its kind. */
const commonResourceProperties = {
  id: {
    $ref: 'definitions.schema.json#/$defs/resourceId',
    description: 'The address other resources use in requires (default: <kind>:<name>).',
  },
  requires: { $ref: 'definitions.schema.json#/$defs/requires' },
} as const;

export function resourceBranch(mod: AnyModule): Record<string, unknown> {
  // Keywords beyond properties/required (not, allOf, dependentRequired...) are kept as they are.
  const { properties, required, type: _type, ...rules } = mod.schema as { properties?: Record<string, unknown>; required?: string[]; type?: string };
  return {
    ...rules,
    type: 'object',
    title: mod.kind,
    description: mod.summary,
    required: ['kind', ...(required ?? [])],
    additionalProperties: false,
    properties: {
      kind: { const: mod.kind, description: mod.summary },
      ...commonResourceProperties,
      ...properties,
    },
  };
}

/** The playbook schema, derived from the registry; `npm run schemas` writes it to schemas/. */
export function buildPlaybookSchema(mods: readonly AnyModule[] = modules): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'provision playbook',
    description: 'A list of plays; each play targets hosts or groups of the inventory and lists resources. Generated from the module registry: do not edit, run `npm run schemas`.',
    type: 'array',
    items: { $ref: '#/$defs/play' },
    $defs: {
      play: {
        type: 'object',
        required: ['hosts', 'resources'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', description: 'A title for the play, shown in output.' },
          hosts: { $ref: 'definitions.schema.json#/$defs/hostPattern' },
          vars: { $ref: 'definitions.schema.json#/$defs/vars' },
          prune: {
            type: 'boolean',
            description:
              'true: on the hosts of this play, delete orphans (resources that an earlier apply recorded in the host\'s ledger, /var/lib/provision/ledger.json, and that no play has any more). Same as --prune for these hosts.',
          },
          resources: { type: 'array', items: { $ref: '#/$defs/resource' } },
        },
      },
      resource: {
        type: 'object',
        required: ['kind'],
        properties: { kind: { enum: mods.map((m) => m.kind), description: 'The resource kind.' } },
        discriminator: { propertyName: 'kind' },
        oneOf: mods.map((m) => ({ $ref: `#/$defs/${m.kind}` })),
      },
      ...Object.fromEntries(mods.map((m) => [m.kind, resourceBranch(m)])),
    },
  };
}

let ajvInstance: Ajv2020 | undefined;

export function ajv(): Ajv2020 {
  if (!ajvInstance) {
    ajvInstance = new Ajv2020({ allErrors: true, strict: true, discriminator: true, allowUnionTypes: true, verbose: true });
    // Editors read `description`; Ajv need not complain about it.
    ajvInstance.addSchema(readSchema(SCHEMA_FILES.definitions), SCHEMA_FILES.definitions);
    ajvInstance.addSchema(readSchema(SCHEMA_FILES.inventory), SCHEMA_FILES.inventory);
    ajvInstance.addSchema(buildPlaybookSchema(), SCHEMA_FILES.playbook);
    ajvInstance.addSchema(readSchema(SCHEMA_FILES.plan), SCHEMA_FILES.plan);
    ajvInstance.addSchema(readSchema(SCHEMA_FILES.driftReport), SCHEMA_FILES.driftReport);
  }
  return ajvInstance;
}

export function validator(file: (typeof SCHEMA_FILES)[keyof typeof SCHEMA_FILES]): ValidateFunction {
  const v = ajv().getSchema(file);
  if (!v) throw new Error(`internal: schema ${file} not loaded`);
  return v;
}

const branchValidators = new Map<string, ValidateFunction>();

/** Validate one resource's attributes (without kind/id/requires) against its module schema. */
export function validateResourceAttributes(mod: AnyModule, attrs: Record<string, unknown>): ErrorObject[] {
  let v = branchValidators.get(mod.kind);
  if (!v) {
    v = ajv().compile({ $id: `resource-${mod.kind}.json`, ...resourceBranch(mod) });
    branchValidators.set(mod.kind, v);
  }
  return v({ kind: mod.kind, ...attrs }) ? [] : [...(v.errors ?? [])];
}
