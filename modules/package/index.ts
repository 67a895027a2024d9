/**
 * `package`: a Debian package installed or removed with apt. The probe is dpkg-query; install is
 * `apt-get install -y --no-install-recommends` with DEBIAN_FRONTEND=noninteractive.
 */
import { ensure } from '../../src/core/schema-fragments.ts';
import { unchanged } from '../../src/core/diff.ts';
import type { Command, CommandResult, Module } from '../../src/core/types.ts';

export interface PackageDesired {
  readonly name: string;
  readonly ensure?: 'present' | 'absent';
  /** Remove configuration files too when absent. */
  readonly purge?: boolean;
}

export interface PackageCurrent {
  /** dpkg's status words, e.g. "install ok installed"; null when dpkg knows no such package. */
  readonly status: string | null;
  readonly version: string | null;
  readonly installed: boolean;
}

const APT_ENV = ['env', 'DEBIAN_FRONTEND=noninteractive', 'NEEDRESTART_MODE=a'];

/** dpkg-query exits 1 for an unknown package: that is "absent", not an error. */
const PROBE = 'dpkg-query -W -f \'${Status}\\t${Version}\\n\' -- "$1" 2>/dev/null; rc=$?; [ $rc -le 1 ] || exit $rc; exit 0';

export function parsePackage(result: CommandResult): PackageCurrent {
  if (result.code !== 0) throw new Error(`dpkg-query failed (exit ${result.code}): ${result.stderr.toString('utf8').trim()}`);
  const line = result.stdout.toString('utf8').split('\n')[0] ?? '';
  if (line.trim() === '') return { status: null, version: null, installed: false };
  const [status = '', version = ''] = line.split('\t');
  // "install ok installed" or "hold ok installed"; "deinstall ok config-files" is not installed.
  const installed = / installed$/.test(status);
  return { status, version: version === '' ? null : version, installed };
}

export const packageModule: Module<PackageDesired, PackageCurrent> = {
  kind: 'package',
  summary: 'A Debian package installed (apt-get install) or removed (apt-get remove/purge).',
  platforms: ['linux'],
  schema: {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: '^[a-z0-9][a-z0-9+.-]+$', maxLength: 128, description: 'The Debian package name.' },
      ensure,
      purge: { type: 'boolean', default: false, description: 'With ensure: absent, also remove configuration files (apt-get purge).' },
    },
  },
  sensitiveAttributes: [],
  name: (d) => d.name,
  removal: (d) => ({ name: d.name, ensure: 'absent' }),
  edges: () => [],
  probe: (d): Command => ({ argv: ['sh', '-c', PROBE, 'sh', d.name], label: `read package ${d.name}` }),
  parse: (result) => parsePackage(result),
  diff(d, c) {
    if (d.ensure === 'absent') {
      if (c.installed) return { status: 'change', action: 'delete', changes: [{ attribute: 'version', before: c.version, after: undefined }] };
      if (d.purge === true && c.status !== null) return { status: 'change', action: 'delete', changes: [{ attribute: 'status', before: c.status, after: undefined }] };
      return unchanged(`package ${d.name} is not installed`);
    }
    if (c.installed) return unchanged(`package ${d.name} ${c.version ?? ''} is installed`.trim());
    return { status: 'change', action: 'create', changes: [{ attribute: 'installed', before: c.status ?? undefined, after: true }] };
  },
  apply(d, _c, diff) {
    if (diff.action === 'delete') {
      return [{ argv: [...APT_ENV, 'apt-get', d.purge === true ? 'purge' : 'remove', '-y', '-q', '--', d.name], label: `${d.purge === true ? 'purge' : 'remove'} package ${d.name}` }];
    }
    return [{ argv: [...APT_ENV, 'apt-get', 'install', '-y', '-q', '--no-install-recommends', '--', d.name], label: `install package ${d.name}` }];
  },
};
