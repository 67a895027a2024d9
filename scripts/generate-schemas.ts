/** Writes schemas/playbook.schema.json from the module registry. A unit test fails when it is stale. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlaybookSchema, SCHEMA_FILES, schemaDir } from '../src/config/schema.ts';

const path = join(schemaDir(), SCHEMA_FILES.playbook);
writeFileSync(path, JSON.stringify(buildPlaybookSchema(), null, 2) + '\n');
console.log(`wrote ${path}`);
