/**
 * Where a registry key is: hive, path and registry view. Shared by registry_key, registry_value
 * and registry_acl, so their names match and edges find each other.
 */
export type Hive = 'HKLM' | 'HKCU' | 'HKU' | 'HKCR' | 'HKCC';
export type View = 32 | 64;

/** Microsoft.Win32.RegistryHive names, what the scripts open with OpenBaseKey. */
const HIVE_NAMES: Readonly<Record<Hive, string>> = {
  HKLM: 'LocalMachine',
  HKCU: 'CurrentUser',
  HKU: 'Users',
  HKCR: 'ClassesRoot',
  HKCC: 'CurrentConfig',
};

export interface KeyLocation {
  readonly hive: Hive;
  readonly path: string;
  readonly view?: View;
}

export const hiveSchema = {
  type: 'string',
  enum: Object.keys(HIVE_NAMES),
  description:
    'HKLM (HKEY_LOCAL_MACHINE), HKCU (HKEY_CURRENT_USER: the hive of the account provision connects as, not of the interactive user), HKU (HKEY_USERS), HKCR (HKEY_CLASSES_ROOT), HKCC (HKEY_CURRENT_CONFIG).',
} as const;

/** Segments of 1-255 characters without "\" or control characters, joined by single "\". */
export const keyPathSchema = {
  type: 'string',
  pattern: '^[^\\\\\\x00-\\x1f]{1,255}(\\\\[^\\\\\\x00-\\x1f]{1,255})*$',
  maxLength: 4096,
  description: 'The key below the hive, e.g. "SOFTWARE\\Contoso\\App": no leading or trailing "\\", no empty segments. Case-insensitive, as Windows treats it. In YAML, single quotes keep "\\" as it is.',
} as const;

export const viewSchema = {
  type: 'integer',
  enum: [64, 32],
  default: 64,
  description: 'Registry view: 64 (default, the native view) or 32 (what 32-bit programs see, e.g. SOFTWARE\\WOW6432Node on HKLM).',
} as const;

/** "HKLM\SOFTWARE\Contoso", with " (32-bit view)" when it is in the 32-bit view. */
export function keyName(l: KeyLocation): string {
  return `${l.hive}\\${l.path}${l.view === 32 ? ' (32-bit view)' : ''}`;
}

/** The key and each key above it, nearest first: what a resource under it depends on. */
export function keyAndParents(l: KeyLocation): string[] {
  const segments = l.path.split('\\');
  return segments.map((_, i) => keyName({ ...l, path: segments.slice(0, segments.length - i).join('\\') }));
}

/** The script input that locates a key. */
export function keyInput(l: KeyLocation): { hive: string; view: string; path: string } {
  return { hive: HIVE_NAMES[l.hive], view: l.view === 32 ? 'Registry32' : 'Registry64', path: l.path };
}
