/**
 * Builds the single POSIX sh script that carries a whole batch of commands to a host in one
 * round trip, and parses its framed output back into one result per command.
 *
 * Host-side cost matters as much as round trips (a plan reads every resource of every host), so
 * a step costs no process beyond its own command: stdout streams straight out between a begin
 * line and an end line that carry a random per-run nonce (unguessable by anything on the host,
 * since the script travels on stdin); stderr, rare, goes through a temp file and is framed by
 * length. Module probes of the form `sh -c SCRIPT sh ARGS...` run as shell functions in a
 * subshell (a fork, no exec), each distinct SCRIPT defined once.
 * stdin of a step travels base64-encoded in a quoted here-document inside the script, so data
 * never appears on any command line.
 */
import { randomBytes } from 'node:crypto';
import { shJoin, shQuote } from '../core/shell.ts';
import type { Command, CommandResult } from '../core/types.ts';

export interface ScriptStep {
  readonly id: string;
  readonly command: Command;
}

export interface BatchOptions {
  /** Stop at the first step that exits non-zero (apply); otherwise run every step (plan). */
  readonly stopOnFailure: boolean;
}

const STEP_ID = /^[A-Za-z0-9_.:-]+$/;

export function newNonce(): string {
  return `@@provision-${randomBytes(12).toString('hex')}`;
}

/** `sh -c SCRIPT NAME ARGS...` -> the script and its positional arguments. */
function inlineShell(argv: readonly string[]): { script: string; args: readonly string[] } | null {
  if (argv.length >= 4 && argv[0] === 'sh' && argv[1] === '-c' && argv[3] === 'sh') return { script: argv[2] as string, args: argv.slice(4) };
  return null;
}

export function buildBatchScript(steps: readonly ScriptStep[], options: BatchOptions, nonce = newNonce()): string {
  const functions = new Map<string, string>();
  const body: string[] = [];
  const onFail = options.stopOnFailure ? ' || exit 0' : '';
  for (const step of steps) {
    if (!STEP_ID.test(step.id)) throw new Error(`internal: bad step id ${JSON.stringify(step.id)}`);
    const inline = inlineShell(step.command.argv);
    let call: string;
    if (inline) {
      let fn = functions.get(inline.script);
      if (!fn) {
        fn = `__f${functions.size}`;
        functions.set(inline.script, fn);
      }
      call = `__run ${step.id} __sub ${fn}${inline.args.length ? ` ${shJoin(inline.args)}` : ''}`;
    } else {
      call = `__run ${step.id} ${shJoin(step.command.argv)}`;
    }
    if (step.command.stdin === undefined) {
      body.push(`${call} </dev/null${onFail}`);
    } else {
      const data = Buffer.from(step.command.stdin).toString('base64');
      const eof = `__EOF_${randomBytes(6).toString('hex')}`;
      body.push(`base64 -d <<'${eof}' | ${call}${onFail}`);
      for (let i = 0; i < data.length; i += 76) body.push(data.slice(i, i + 76));
      body.push(eof);
    }
  }
  const n = shQuote(nonce);
  const lines = [
    // Parsed completely before it runs, so no step can read the rest of the script from stdin.
    'main() {',
    'umask 022',
    'export LC_ALL=C LANG=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '__t=$(mktemp -d) || exit 97',
    'trap \'rm -rf "$__t"\' EXIT',
    '__run() {',
    '  __id=$1; shift',
    `  printf '%s B %s\\n' ${n} "$__id"`,
    // apply may start daemons that keep stdout open: there, output goes through a file so the
    // session ends when the script does; a read streams it (no extra process per probe).
    options.stopOnFailure ? '  "$@" >"$__t/o" 2>"$__t/e"; __rc=$?; cat "$__t/o"' : '  "$@" 2>"$__t/e"; __rc=$?',
    `  printf '\\n%s E %s %s\\n' ${n} "$__id" "$__rc"`,
    `  if [ -s "$__t/e" ]; then printf '%s S %s %s\\n' ${n} "$__id" "$(wc -c <"$__t/e")"; cat "$__t/e"; fi`,
    '  return $__rc',
    '}',
    '__sub() { ( "$@" ); }',
    ...[...functions.entries()].flatMap(([script, fn]) => [`${fn}() {`, script, '}']),
    ...body,
    // Each step's exit code is in its frame: the script itself succeeds however the last step
    // ended, so only a broken shell (mktemp, a killed session) makes it exit non-zero.
    'return 0',
    '}',
    'main',
    '',
  ];
  return lines.join('\n');
}

export class FramingError extends Error {
  override name = 'FramingError';
}

/**
 * Parse the framed output of a batch script. Steps that never ran (apply stopped early) are
 * simply missing from the map.
 */
export function parseBatchOutput(stdout: Buffer, nonce: string): Map<string, CommandResult> {
  const results = new Map<string, CommandResult>();
  const begin = Buffer.from(`${nonce} B `);
  let pos = 0;
  const line = (from: number): { text: string; next: number } => {
    const nl = stdout.indexOf(0x0a, from);
    if (nl < 0) throw new FramingError(`truncated frame at byte ${from}`);
    return { text: stdout.subarray(from, nl).toString('utf8'), next: nl + 1 };
  };
  while (pos < stdout.length) {
    if (!stdout.subarray(pos, pos + begin.length).equals(begin)) {
      throw new FramingError(`unexpected output at byte ${pos}: ${JSON.stringify(stdout.subarray(pos, Math.min(stdout.length, pos + 80)).toString('utf8'))}`);
    }
    const head = line(pos);
    const id = head.text.slice(begin.length);
    const endMark = Buffer.from(`\n${nonce} E ${id} `);
    const end = stdout.indexOf(endMark, head.next);
    if (end < 0) throw new FramingError(`no end of output for step ${id}`);
    const tail = line(end + endMark.length);
    let next = tail.next;
    let stderr: Buffer = Buffer.alloc(0);
    const errMark = `${nonce} S ${id} `;
    if (stdout.subarray(next, next + errMark.length).toString('utf8') === errMark) {
      const sized = line(next);
      const len = Number(sized.text.slice(errMark.length).trim());
      if (!Number.isSafeInteger(len) || sized.next + len > stdout.length) throw new FramingError(`truncated stderr of step ${id}`);
      stderr = stdout.subarray(sized.next, sized.next + len);
      next = sized.next + len;
    }
    results.set(id, { code: Number(tail.text), stdout: stdout.subarray(head.next, end), stderr });
    pos = next;
  }
  return results;
}
