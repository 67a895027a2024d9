/**
 * Windows command lines: one string the program splits itself (CommandLineToArgvW rules, what
 * the Microsoft C runtime does). The SCM's ImagePath, NSSM's AppParameters and a task's
 * Arguments are such strings; provision writes them from the argv list and compares by
 * splitting them back, so equivalent quoting is no change.
 */

/** One argument quoted so CommandLineToArgvW gives it back unchanged. */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      slashes++;
      continue;
    }
    if (ch === '"') {
      out += '\\'.repeat(slashes * 2 + 1) + '"';
    } else {
      out += '\\'.repeat(slashes) + ch;
    }
    slashes = 0;
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}

/** The arguments after the program, joined. */
export const joinWindowsArgs = (args: readonly string[]): string => args.map(quoteWindowsArg).join(' ');

/** A full command line: the program always quoted (an unquoted path with spaces is a known hijack). */
export function windowsCommandLine(argv: readonly string[]): string {
  const [program = '', ...args] = argv;
  return [`"${program}"`, ...args.map(quoteWindowsArg)].join(' ');
}

/** CommandLineToArgvW for arguments (not argv[0]): backslashes, quotes and "" inside quotes. */
export function splitWindowsArgs(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= n) break;
    let cur = '';
    let quoted = false;
    while (i < n && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) {
      const ch = line[i] as string;
      if (ch === '\\') {
        let k = 0;
        while (line[i] === '\\') {
          k++;
          i++;
        }
        if (line[i] === '"') {
          cur += '\\'.repeat(Math.floor(k / 2));
          if (k % 2 === 1) {
            cur += '"';
            i++;
          }
        } else cur += '\\'.repeat(k);
        continue;
      }
      if (ch === '"') {
        if (quoted && line[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        quoted = !quoted;
        i++;
        continue;
      }
      cur += ch;
      i++;
    }
    out.push(cur);
  }
  return out;
}

/** argv[0] is read differently: up to the closing quote, or to the first blank when unquoted. */
export function splitWindowsCommandLine(line: string): string[] {
  const s = line.replace(/^[ \t]+/, '');
  if (s === '') return [];
  let program: string;
  let rest: string;
  if (s.startsWith('"')) {
    const end = s.indexOf('"', 1);
    program = end < 0 ? s.slice(1) : s.slice(1, end);
    rest = end < 0 ? '' : s.slice(end + 1);
  } else {
    const m = /^[^ \t]*/.exec(s);
    program = m ? m[0] : s;
    rest = s.slice(program.length);
  }
  return [program, ...splitWindowsArgs(rest)];
}

/** Paths compare case-insensitively, with / and \ alike. */
export const samePath = (a: string, b: string): boolean => a.replace(/\//g, '\\').toLowerCase() === b.replace(/\//g, '\\').toLowerCase();

/** Two argv lists are the same command when the programs are the same path and the arguments are equal. */
export function sameCommand(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length || a.length === 0) return a.length === b.length;
  return samePath(a[0] as string, b[0] as string) && a.slice(1).every((x, i) => x === b[i + 1]);
}
