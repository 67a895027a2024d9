/** Shared reading of module fixtures (fixtures/modules/<kind>/*.json). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyModule } from '../../modules/registry.ts';
import type { HostFacts, Os } from '../../src/core/types.ts';

export interface ProbeFixture { code?: number; stdout: string; stderr?: string }

export interface ModuleFixture {
  description: string;
  desired: Record<string, unknown>;
  facts?: Partial<HostFacts>;
  probe: ProbeFixture;
  after?: ProbeFixture;
}

export const FIXTURES_ROOT = new URL('../../fixtures/modules/', import.meta.url).pathname;

export function platformOf(mod: AnyModule, desired: unknown): Os {
  return mod.platformOf?.(desired) ?? (mod.platforms.length === 1 && mod.platforms[0] ? mod.platforms[0] : 'linux');
}

/** Facts of a typical host for the resource: Debian 12 with systemd, or Windows Server 2022. */
export function defaultFacts(mod: AnyModule, desired: unknown): HostFacts {
  if (platformOf(mod, desired) === 'windows') {
    return { os: 'windows', uid: 0, systemdVersion: null, windows: { psVersion: '5.1.20348.2849', osVersion: '10.0.20348.0', computerName: 'WIN-APP01', isAdmin: true } };
  }
  return { os: 'linux', uid: 0, systemdVersion: 252 };
}

export function readFixtures(kind: string): { file: string; fixture: ModuleFixture }[] {
  const dir = join(FIXTURES_ROOT, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, fixture: JSON.parse(readFileSync(join(dir, file), 'utf8')) as ModuleFixture }));
}
