/**
 * The one audited quoting function. Every value that reaches a POSIX shell goes through
 * shQuote; nothing else in the code base builds shell text from values.
 */

export class UnquotableValueError extends Error {
  constructor(readonly value: string, reason: string) {
    super(`value cannot be passed to a shell byte-exact: ${reason}`);
    this.name = 'UnquotableValueError';
  }
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quote one argument for a POSIX shell so that it arrives byte-exact.
 * Single quotes preserve every byte except the single quote itself, which is closed,
 * escaped and reopened. NUL cannot be carried by argv at all; lone UTF-16 surrogates
 * cannot be encoded as UTF-8: both are refused rather than silently altered.
 */
export function shQuote(value: string): string {
  if (value.includes('\0')) throw new UnquotableValueError(value, 'it contains a NUL byte');
  if (!value.isWellFormed()) throw new UnquotableValueError(value, 'it contains a lone UTF-16 surrogate');
  if (value === '') return "''";
  if (SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Join argv into shell text, each element quoted. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}
