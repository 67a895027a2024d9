/**
 * Registry data in the one form desired and read values are compared and shown in. The traps:
 * .NET returns REG_DWORD as a signed Int32 (0xFFFFFFFF reads back as -1) and REG_QWORD as a
 * signed Int64, which JSON numbers cannot carry exactly, so the read script sends it as text.
 */

export type ValueKind = 'String' | 'ExpandString' | 'MultiString' | 'DWord' | 'QWord' | 'Binary' | 'None';
export const VALUE_KINDS: readonly ValueKind[] = ['String', 'ExpandString', 'MultiString', 'DWord', 'QWord', 'Binary', 'None'];

/** A value as compared and shown: numbers unsigned, QWORDs as decimal text, bytes as lower-case hex. */
export type NormalData = string | number | readonly string[];

const UINT32_MAX = 0xffffffff;
const UINT64_MAX = (1n << 64n) - 1n;

/** A number or numeric text ("4294967295", "0xFFFFFFFF") as a BigInt, or null when it is not one. */
function integerOf(v: number | string): bigint | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : null;
  if (/^0[xX][0-9a-fA-F]+$/.test(v) || /^[0-9]+$/.test(v)) return BigInt(v);
  return null;
}

/** A desired DWORD (number or numeric text) as an unsigned 32-bit number; null when out of range. */
export function dwordFromDesired(v: number | string): number | null {
  const n = integerOf(v);
  return n === null || n < 0n || n > BigInt(UINT32_MAX) ? null : Number(n);
}

/** A DWORD as read (a signed Int32) as the unsigned number it stands for. */
export function dwordFromRead(raw: number): number {
  if (!Number.isInteger(raw) || raw < -0x80000000 || raw > UINT32_MAX) throw new Error(`unexpected DWORD ${raw}`);
  return raw >>> 0;
}

/** The signed Int32 SetValue takes for an unsigned DWORD (4294967295 -> -1). */
export function dwordToSigned(u: number): number {
  return u | 0;
}

/** A desired QWORD as unsigned decimal text; null when out of range. */
export function qwordFromDesired(v: number | string): string | null {
  const n = integerOf(v);
  return n === null || n < 0n || n > UINT64_MAX ? null : n.toString();
}

/** A QWORD as read (signed Int64 as text) as unsigned decimal text. */
export function qwordFromRead(raw: string): string {
  if (!/^-?[0-9]+$/.test(raw)) throw new Error(`unexpected QWORD ${JSON.stringify(raw)}`);
  const n = BigInt(raw);
  if (n < -(1n << 63n) || n > UINT64_MAX) throw new Error(`unexpected QWORD ${raw}`);
  return BigInt.asUintN(64, n).toString();
}

/** The signed Int64 text the apply script parses for an unsigned QWORD. */
export function qwordToSigned(unsigned: string): string {
  return BigInt.asIntN(64, BigInt(unsigned)).toString();
}

export const HEX = /^(?:[0-9a-fA-F]{2}(?:[ :-]?(?=[0-9a-fA-F]))?)*$/;

/** Hex bytes written "01 ff", "01:FF", "01-ff" or "01ff", as "01ff". */
export function normaliseHex(hex: string): string {
  if (!HEX.test(hex)) throw new Error(`internal: unchecked hex ${JSON.stringify(hex)}`);
  return hex.replace(/[ :-]/g, '').toLowerCase();
}

export function hexToBytes(hex: string): number[] {
  const clean = normaliseHex(hex);
  const bytes: number[] = [];
  for (let i = 0; i < clean.length; i += 2) bytes.push(parseInt(clean.slice(i, i + 2), 16));
  return bytes;
}

/** A desired value in normal form; null when the data does not fit the kind (check() says so). */
export function normaliseDesired(kind: ValueKind, data: unknown): NormalData | null {
  switch (kind) {
    case 'String':
    case 'ExpandString':
      return typeof data === 'string' ? data : null;
    case 'MultiString':
      return Array.isArray(data) && data.every((s) => typeof s === 'string') ? (data as string[]) : null;
    case 'DWord':
      return typeof data === 'number' || typeof data === 'string' ? dwordFromDesired(data) : null;
    case 'QWord':
      return typeof data === 'number' || typeof data === 'string' ? qwordFromDesired(data) : null;
    case 'Binary':
    case 'None':
      if (data === undefined) return '';
      return typeof data === 'string' && HEX.test(data) ? normaliseHex(data) : null;
  }
}

/** A value as the read script returns it, in normal form. */
export function normaliseRead(kind: string, raw: unknown): NormalData | null {
  switch (kind) {
    case 'String':
    case 'ExpandString':
      if (typeof raw !== 'string') throw new Error(`unexpected ${kind} data`);
      return raw;
    case 'MultiString':
      if (raw === null) return [];
      // ConvertTo-Json may write a one-element string[] as a plain string.
      if (typeof raw === 'string') return [raw];
      if (!Array.isArray(raw) || !raw.every((s) => typeof s === 'string')) throw new Error('unexpected MultiString data');
      return raw as string[];
    case 'DWord':
      if (typeof raw !== 'number') throw new Error('unexpected DWord data');
      return dwordFromRead(raw);
    case 'QWord':
      if (typeof raw !== 'string') throw new Error('unexpected QWord data');
      return qwordFromRead(raw);
    case 'Binary':
    case 'None':
      if (typeof raw !== 'string' || !/^([0-9a-f]{2})*$/.test(raw)) throw new Error(`unexpected ${kind} data`);
      return raw;
    default:
      // REG_LINK, REG_RESOURCE_LIST ...: shown as its kind; any desired value differs from it.
      return typeof raw === 'string' ? raw : null;
  }
}

/** What the apply script's SetValue gets: signed numbers, arrays of bytes. */
export function dataForApply(kind: ValueKind, data: NormalData): string | number | string[] | number[] {
  switch (kind) {
    case 'DWord':
      return dwordToSigned(data as number);
    case 'QWord':
      return qwordToSigned(data as string);
    case 'Binary':
    case 'None':
      return hexToBytes(data as string);
    case 'MultiString':
      return [...(data as readonly string[])];
    default:
      return data as string;
  }
}
