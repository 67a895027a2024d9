/**
 * Access masks of NTFS and registry ACEs: the named rights operators write, the numbers Windows
 * stores, and the normal form both are compared in. Two traps make equal rights look different:
 * Windows adds Synchronize to file Allow ACEs, and ACEs written by setup programs often carry the
 * generic bits (GENERIC_ALL = 0x10000000), which .NET shows as plain numbers.
 */

/** Which object an ACL belongs to: its rights names and its generic mapping differ. */
export type AclTarget = 'file' | 'registry';

/** System.Security.AccessControl.FileSystemRights, composites first (the order names are shown in). */
export const FILE_RIGHTS: Readonly<Record<string, number>> = {
  FullControl: 0x1f01ff,
  Modify: 0x301bf,
  ReadAndExecute: 0x200a9,
  Read: 0x20089,
  Write: 0x116,
  ReadData: 0x1,
  WriteData: 0x2,
  AppendData: 0x4,
  ReadExtendedAttributes: 0x8,
  WriteExtendedAttributes: 0x10,
  ExecuteFile: 0x20,
  DeleteSubdirectoriesAndFiles: 0x40,
  ReadAttributes: 0x80,
  WriteAttributes: 0x100,
  Delete: 0x10000,
  ReadPermissions: 0x20000,
  ChangePermissions: 0x40000,
  TakeOwnership: 0x80000,
  Synchronize: 0x100000,
};

/** Other names .NET gives the same file bits (directory spellings); accepted, never shown. */
export const FILE_RIGHT_ALIASES: Readonly<Record<string, number>> = {
  ListDirectory: 0x1,
  CreateFiles: 0x2,
  CreateDirectories: 0x4,
  Traverse: 0x20,
};

/** Microsoft.Win32.RegistryRights, composites first. ExecuteKey is the same mask as ReadKey. */
export const REGISTRY_RIGHTS: Readonly<Record<string, number>> = {
  FullControl: 0xf003f,
  ReadKey: 0x20019,
  WriteKey: 0x20006,
  QueryValues: 0x1,
  SetValue: 0x2,
  CreateSubKey: 0x4,
  EnumerateSubKeys: 0x8,
  Notify: 0x10,
  CreateLink: 0x20,
  Delete: 0x10000,
  ReadPermissions: 0x20000,
  ChangePermissions: 0x40000,
  TakeOwnership: 0x80000,
};

export const REGISTRY_RIGHT_ALIASES: Readonly<Record<string, number>> = { ExecuteKey: 0x20019 };

export const SYNCHRONIZE = 0x100000;

export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_ALL = 0x10000000;

/**
 * What each generic bit means for the object (winnt.h: FILE_GENERIC_*, FILE_ALL_ACCESS;
 * KEY_READ, KEY_WRITE, KEY_EXECUTE, KEY_ALL_ACCESS).
 */
const GENERIC_MAPPING: Readonly<Record<AclTarget, readonly (readonly [number, number])[]>> = {
  file: [
    [GENERIC_READ, 0x120089],
    [GENERIC_WRITE, 0x120116],
    [GENERIC_EXECUTE, 0x1200a0],
    [GENERIC_ALL, 0x1f01ff],
  ],
  registry: [
    [GENERIC_READ, 0x20019],
    [GENERIC_WRITE, 0x20006],
    [GENERIC_EXECUTE, 0x20019],
    [GENERIC_ALL, 0xf003f],
  ],
};

export function rightsTable(target: AclTarget): Readonly<Record<string, number>> {
  return target === 'file' ? FILE_RIGHTS : REGISTRY_RIGHTS;
}

function lookup(target: AclTarget, name: string): number | undefined {
  return rightsTable(target)[name] ?? (target === 'file' ? FILE_RIGHT_ALIASES : REGISTRY_RIGHT_ALIASES)[name];
}

/** Every name a playbook may use for the target, for the schema's enum. */
export function rightNames(target: AclTarget): string[] {
  return [...Object.keys(rightsTable(target)), ...Object.keys(target === 'file' ? FILE_RIGHT_ALIASES : REGISTRY_RIGHT_ALIASES)];
}

/** The mask of a list of right names; unknown names are an internal error (the schema has the enum). */
export function namesToMask(target: AclTarget, names: readonly string[]): number {
  let mask = 0;
  for (const name of names) {
    const bits = lookup(target, name);
    if (bits === undefined) throw new Error(`internal: unknown ${target} right ${JSON.stringify(name)}`);
    mask = (mask | bits) >>> 0;
  }
  return mask;
}

/**
 * The form two masks are compared in: unsigned (PowerShell reads GENERIC_READ as a negative
 * Int32), generic bits replaced by what they mean for the object, Synchronize removed.
 */
export function normaliseMask(target: AclTarget, raw: number): number {
  let mask = raw >>> 0;
  for (const [generic, specific] of GENERIC_MAPPING[target]) {
    if ((mask & generic) !== 0) mask = ((mask & ~generic) | specific) >>> 0;
  }
  return (mask & ~SYNCHRONIZE) >>> 0;
}

/**
 * A mask as names: the largest composites that fit, then single rights, then any bits without a
 * name in hex ("0x1000000" for ACCESS_SYSTEM_SECURITY). Deterministic, so plans read the same.
 */
export function maskToNames(target: AclTarget, mask: number): string[] {
  const m = mask >>> 0;
  const names: string[] = [];
  let covered = 0;
  for (const [name, bits] of Object.entries(rightsTable(target))) {
    if ((m & bits) >>> 0 === bits && ((bits & ~covered) >>> 0) !== 0) {
      names.push(name);
      covered = (covered | bits) >>> 0;
    }
  }
  const rest = (m & ~covered) >>> 0;
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names;
}

/**
 * The names of a normalised mask (Synchronize removed). Synchronize is put back for the lookup
 * only, so FullControl, which includes it, is still called FullControl.
 */
export function normalisedNames(target: AclTarget, mask: number): string[] {
  if (target !== 'file') return maskToNames(target, mask);
  return maskToNames(target, (mask | SYNCHRONIZE) >>> 0).filter((n) => n !== 'Synchronize');
}

/** The normalised mask shown as text, e.g. "Modify" or "ReadAndExecute, Write". */
export function describeRights(target: AclTarget, mask: number): string {
  const names = normalisedNames(target, mask);
  return names.length === 0 ? '(none)' : names.join(', ');
}
