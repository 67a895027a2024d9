/**
 * Builds the single POSIX sh script that carries a whole batch of commands to a host in one
 * round trip, and parses its framed output back into one result per command.
 *
 * Framing is by length, not by markers: each step prints a header line
 * `<nonce> <id> <exit code> <stdout bytes> <stderr bytes>` followed by exactly that many bytes,
 * so no output a program prints can be mistaken for a frame.
 * stdin of a step travels base64-encoded in a quoted here-document inside the script (which
 * itself travels on the transport's stdin), so data never appears on any command line.
 */
import { randomBytes } from 'node:crypto';
import { shJoin } from '../core/shell.ts';
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
  return `@@provision-${randomBytes(8).toString('hex')}`;
}

export function buildBatchScript(steps: readonly ScriptStep[], options: BatchOptions, nonce = newNonce()): string {
  const lines = [
    // Parsed completely before it runs, so no step can read the rest of the script from stdin.
    'main() {',
    'umask 077',
    'export LC_ALL=C LANG=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '__t=$(mktemp -d) || exit 97',
    'trap \'rm -rf "$__t"\' EXIT',
    '__run() {',
    '  __id=$1; shift',
    '  ( umask 022; "$@" ) >"$__t/o" 2>"$__t/e"',
    '  __rc=$?',
    `  printf '%s %s %s %s %s\\n' ${nonce} "$__id" "$__rc" "$(wc -c <"$__t/o")" "$(wc -c <"$__t/e")"`,
    '  cat "$__t/o" "$__t/e"',
    '  return $__rc',
    '}',
  ];
  const onFail = options.stopOnFailure ? ' || exit 0' : '';
  for (const step of steps) {
    if (!STEP_ID.test(step.id)) throw new Error(`internal: bad step id ${JSON.stringify(step.id)}`);
    const call = `__run ${step.id} ${shJoin(step.command.argv)}`;
    if (step.command.stdin === undefined) {
      lines.push(`${call} </dev/null${onFail}`);
    } else {
      const data = Buffer.from(step.command.stdin).toString('base64');
      const eof = `__EOF_${randomBytes(6).toString('hex')}`;
      lines.push(`base64 -d <<'${eof}' | ${call}${onFail}`);
      for (let i = 0; i < data.length; i += 76) lines.push(data.slice(i, i + 76));
      lines.push(eof);
    }
  }
  lines.push('}', 'main', '');
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
  let pos = 0;
  while (pos < stdout.length) {
    const nl = stdout.indexOf(0x0a, pos);
    if (nl < 0) throw new FramingError(`truncated header at byte ${pos}`);
    const header = stdout.subarray(pos, nl).toString('utf8').trim().split(/\s+/);
    if (header.length !== 5 || header[0] !== nonce) {
      throw new FramingError(`unexpected output at byte ${pos}: ${JSON.stringify(stdout.subarray(pos, Math.min(nl, pos + 80)).toString('utf8'))}`);
    }
    const [, id, rc, outLen, errLen] = header as [string, string, string, string, string];
    const o = Number(outLen);
    const e = Number(errLen);
    const start = nl + 1;
    if (start + o + e > stdout.length) throw new FramingError(`truncated output of step ${id}`);
    results.set(id, {
      code: Number(rc),
      stdout: stdout.subarray(start, start + o),
      stderr: stdout.subarray(start + o, start + o + e),
    });
    pos = start + o + e;
  }
  return results;
}
