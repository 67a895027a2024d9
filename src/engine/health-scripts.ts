/**
 * Health checks and restart verification as commands run on the host (bash, for /dev/tcp), and
 * the parser of what they print. Every value travels as an argv element; the scripts are
 * constants. Each script prints `attempts N` and then the evidence of its last attempt, and exits
 * 0 when the check passed, 1 when it failed.
 */
import type { CommandCheck, HttpCheck, LogCheck, ResolvedCheck, TcpCheck } from '../core/health.ts';
import { windowSeconds } from '../core/health.ts';
import type { Command, CommandResult } from '../core/types.ts';

/** Which HTTP client the http check uses: the first of curl, wget, bash /dev/tcp present (auto). */
export type HttpClient = 'auto' | 'curl' | 'wget' | 'bash';

const PRELUDE = [
  't=$1 r=$2 iv=$3; shift 3',
  'w=$(mktemp -d) || exit 97',
  'trap \'rm -rf "$w"\' EXIT',
  // One line of readable text: control characters become spaces, NULs go.
  'flat() { tr -d \'\\0\' | tr \'\\r\\n\\t\' \'   \' | sed \'s/ *$//\'; }',
  // The reason in the first line of an error file ($1), without bash's "bash: line 1: " prefix; $2: the exit code.
  'why() { if [ -s "$1" ]; then head -n 1 "$1" | sed -E \'s/^(bash|timeout): (line [0-9]+: )?//\'; else echo "no message (exit $2)"; fi; }',
].join('\n');

const LOOP = [
  'n=0',
  'while :; do',
  '  n=$((n + 1))',
  '  : >"$w/ev"',
  '  attempt "$@"; rc=$?',
  '  if [ "$rc" = 0 ] || [ "$n" -gt "$r" ]; then break; fi',
  '  sleep "$iv"',
  'done',
  'printf \'attempts %s\\n\' "$n"',
  'head -c 4000 "$w/ev"',
  'exit "$rc"',
].join('\n');

const TCP = [
  'attempt() {',
  '  local rc',
  '  timeout "$t" bash -c \'exec 3<>"/dev/tcp/$1/$2"\' bash "$1" "$2" 2>"$w/err"; rc=$?',
  '  if [ "$rc" = 0 ]; then printf \'connected to %s:%s\\n\' "$1" "$2" >"$w/ev"; return 0; fi',
  '  if [ "$rc" = 124 ]; then printf \'no connection to %s:%s within %ss\\n\' "$1" "$2" "$t" >"$w/ev"',
  '  else printf \'%s:%s: %s\\n\' "$1" "$2" "$(why "$w/err" "$rc")" >"$w/ev"; fi',
  '  return 1',
  '}',
].join('\n');

const HTTP = [
  'attempt() {',
  '  local url=$1 host=$2 port=$3 path=$4 hh=$5 want=$6 text=$7 client=$8 code= ok=0 rc',
  '  if [ "$client" = auto ]; then',
  '    if command -v curl >/dev/null 2>&1; then client=curl; elif command -v wget >/dev/null 2>&1; then client=wget; else client=bash; fi',
  '  fi',
  '  : >"$w/body"; : >"$w/err"',
  '  case $client in',
  '    curl) code=$(curl -sS -o "$w/body" -w \'%{http_code}\' --max-time "$t" -- "$url" 2>"$w/err"); rc=$? ;;',
  '    wget) timeout "$t" wget -nv -S -O "$w/body" --content-on-error -t 1 -T "$t" -- "$url" 2>"$w/err"; rc=$?',
  '          code=$(sed -n \'s/^ *HTTP\\/[0-9.]* \\([0-9][0-9][0-9]\\).*/\\1/p\' "$w/err" | tail -n 1) ;;',
  '    *) case $url in https:*) echo "https needs curl or wget on the host; neither is installed" >"$w/ev"; return 1 ;; esac',
  '       timeout "$t" bash -c \'exec 3<>"/dev/tcp/$1/$2" || exit 7; printf "GET %s HTTP/1.0\\r\\nHost: %s\\r\\nUser-Agent: provision-health\\r\\nAccept: */*\\r\\nConnection: close\\r\\n\\r\\n" "$3" "$4" >&3; cat <&3\' bash "$host" "$port" "$path" "$hh" >"$w/resp" 2>"$w/err"; rc=$?',
  '       code=$(head -n 1 "$w/resp" | sed -n \'s/^HTTP\\/[0-9.]* \\([0-9][0-9][0-9]\\).*/\\1/p\')',
  // The body starts after the first empty line ("" or "\r": the only header line of at most one character).
  '       sed \'1,/^.\\{0,1\\}$/d\' "$w/resp" >"$w/body" ;;',
  '  esac',
  '  if [ -z "$code" ] || [ "$code" = 000 ]; then',
  '    if [ "$rc" = 124 ] || [ "$rc" = 28 ]; then printf \'no HTTP response from %s within %ss (%s)\\n\' "$url" "$t" "$client" >"$w/ev"',
  '    else printf \'no HTTP response from %s (%s): %s\\n\' "$url" "$client" "$(grep -v \'^ \' "$w/err" >"$w/why"; why "$w/why" "$rc")" >"$w/ev"; fi',
  '    return 1',
  '  fi',
  '  if [ -z "$want" ]; then case $code in 2??) ok=1 ;; esac; else case " $want " in *" $code "*) ok=1 ;; esac; fi',
  '  if [ "$ok" = 0 ]; then printf \'HTTP %s (expected %s); body: %s\\n\' "$code" "${want:-2xx}" "$(head -c 200 "$w/body" | flat)" >"$w/ev"; return 1; fi',
  '  if [ -n "$text" ] && ! grep -q -F -e "$text" "$w/body"; then printf \'HTTP %s but the body does not contain the text; body: %s\\n\' "$code" "$(head -c 200 "$w/body" | flat)" >"$w/ev"; return 1; fi',
  '  printf \'HTTP %s (%s)\\n\' "$code" "$client" >"$w/ev"',
  '}',
].join('\n');

const COMMAND = [
  'attempt() {',
  '  local want=$1 rc; shift',
  '  timeout "$t" "$@" >"$w/out" 2>"$w/err" </dev/null; rc=$?',
  '  if [ "$rc" = "$want" ]; then printf \'exit code %s\\n\' "$rc" >"$w/ev"; return 0; fi',
  '  { if [ "$rc" = 124 ]; then printf \'no exit within %ss\' "$t"; else printf \'exit code %s (expected %s)\' "$rc" "$want"; fi',
  '    if [ -s "$w/err" ]; then printf \'; stderr: %s\' "$(tail -c 300 "$w/err" | flat)"; fi',
  '    if [ -s "$w/out" ]; then printf \'; stdout: %s\' "$(tail -c 300 "$w/out" | flat)"; fi',
  '    echo; } >"$w/ev"',
  '  return 1',
  '}',
].join('\n');

const LOG = [
  'attempt() {',
  '  local src=$1 win=$2 off=$3 max=$4 pat=$5 what f size k; shift 5',
  '  if [ "$src" = journal ]; then',
  '    if ! command -v journalctl >/dev/null 2>&1; then echo "journalctl is not installed on the host" >"$w/ev"; return 1; fi',
  '    if ! timeout "$t" journalctl --no-pager -q -o short-iso --since "-${win}s" "$@" >"$w/lines" 2>"$w/err"; then printf \'journalctl failed: %s\\n\' "$(why "$w/err")" >"$w/ev"; return 1; fi',
  '    what="the journal ($*) of the last ${win}s"',
  '  else',
  '    f=$1',
  '    if [ ! -e "$f" ]; then printf \'%s does not exist: no lines to match\\n\' "$f" >"$w/ev"; return 0; fi',
  '    size=$(wc -c <"$f")',
  '    if [ "$off" -ge 0 ] && [ "$size" -ge "$off" ]; then tail -c "+$((off + 1))" -- "$f" >"$w/lines"; what="the lines appended to $f since apply started"',
  '    elif [ $(( $(date +%s) - $(stat -c %Y -- "$f") )) -le "$win" ]; then tail -n 1000 -- "$f" >"$w/lines"; what="the last 1000 lines of $f (modified within ${win}s)"',
  '    else : >"$w/lines"; what="$f (not modified within ${win}s)"; fi',
  '  fi',
  '  k=$(grep -c -E -e "$pat" "$w/lines" 2>"$w/err")',
  '  if [ $? -gt 1 ]; then printf \'grep -E cannot use the pattern: %s\\n\' "$(why "$w/err")" >"$w/ev"; return 1; fi',
  '  if [ "$k" -le "$max" ]; then printf \'%s matching lines in %s (at most %s allowed)\\n\' "$k" "$what" "$max" >"$w/ev"; return 0; fi',
  '  { printf \'%s matching lines in %s (at most %s allowed):\\n\' "$k" "$what" "$max"; grep -E -e "$pat" "$w/lines" | head -n 10 | cut -c 1-300; } >"$w/ev"',
  '  return 1',
  '}',
].join('\n');

/** $1 seconds to wait, then the argv printing the main pid. */
export const RESTART_SCRIPT = [
  'wait=$1; shift',
  'mainpid() { "$@" 2>/dev/null | head -n 1 | tr -dc 0-9; }',
  'alive() { [ -n "$1" ] && [ "$1" != 0 ] && kill -0 "$1" 2>/dev/null; }',
  'echo "attempts 1"',
  'old=$(mainpid "$@")',
  'if ! alive "$old"; then echo "no main process to kill: the service is not running"; exit 1; fi',
  'kill -KILL "$old" || { echo "cannot kill the main process $old"; exit 1; }',
  'SECONDS=0',
  'while [ "$SECONDS" -lt "$wait" ]; do',
  '  sleep 0.5',
  '  new=$(mainpid "$@")',
  '  if [ "$new" != "$old" ] && alive "$new"; then echo "main process $old killed; running again as $new after ${SECONDS}s"; exit 0; fi',
  'done',
  'echo "main process $old killed; did not come back within ${wait}s"',
  'exit 1',
].join('\n');

const bash = (parts: readonly string[], args: readonly string[], label: string): Command => ({ argv: ['bash', '-c', parts.join('\n'), 'bash', ...args], label });

const num = (n: number): string => String(Math.round(n * 1000) / 1000);

/** Host, port, path and Host header of an http(s) URL. */
export function urlParts(url: string): { host: string; port: string; path: string; hostHeader: string } {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port || (https ? '443' : '80'), path: `${u.pathname || '/'}${u.search}`, hostHeader: u.host };
}

/** What a check looks at, for reports: "tcp 127.0.0.1:8080", "GET http://... expecting 200". */
export function describeCheck(c: ResolvedCheck, journal: readonly string[]): string {
  switch (c.kind) {
    case 'tcp': {
      const s = c.spec as TcpCheck;
      return `tcp ${s.host ?? '127.0.0.1'}:${s.port}`;
    }
    case 'http': {
      const s = c.spec as HttpCheck;
      const status = s.status === undefined ? '2xx' : [s.status].flat().join('|');
      return `GET ${s.url} expecting ${status}${s.contains !== undefined ? ` and ${JSON.stringify(s.contains)}` : ''}`;
    }
    case 'command': {
      const s = c.spec as CommandCheck;
      return `${JSON.stringify(s.argv)} exits ${s.exit_code ?? 0}`;
    }
    case 'log': {
      const s = c.spec as LogCheck;
      const where = s.source === 'file' ? s.path ?? '' : `journal ${(s.unit !== undefined ? ['-u', s.unit] : journal).join(' ')}`;
      return `at most ${s.max_matches ?? 0} lines matching /${s.pattern}/ in ${where} (window ${s.window ?? '5m'})`;
    }
  }
}

export interface CheckContext {
  /** journalctl selector of the service, for log checks without a unit. */
  readonly journal: readonly string[];
  /** Size of each log file when apply started (bytes); missing: unknown. */
  readonly offsets: ReadonlyMap<string, number>;
  readonly httpClient?: HttpClient;
}

export function checkCommand(c: ResolvedCheck, ctx: CheckContext): Command {
  const head = [num(c.timeout), String(c.retries), num(c.interval)];
  const label = `health check ${c.name}`;
  switch (c.kind) {
    case 'tcp': {
      const s = c.spec as TcpCheck;
      return bash([PRELUDE, TCP, LOOP], [...head, s.host ?? '127.0.0.1', String(s.port)], label);
    }
    case 'http': {
      const s = c.spec as HttpCheck;
      const u = urlParts(s.url);
      const want = s.status === undefined ? '' : [s.status].flat().join(' ');
      return bash([PRELUDE, HTTP, LOOP], [...head, s.url, u.host, u.port, u.path, u.hostHeader, want, s.contains ?? '', ctx.httpClient ?? 'auto'], label);
    }
    case 'command': {
      const s = c.spec as CommandCheck;
      return bash([PRELUDE, COMMAND, LOOP], [...head, String(s.exit_code ?? 0), ...s.argv], label);
    }
    case 'log': {
      const s = c.spec as LogCheck;
      const win = String(windowSeconds(s.window ?? '5m'));
      const max = String(s.max_matches ?? 0);
      if (s.source === 'file') {
        const path = s.path ?? '';
        return bash([PRELUDE, LOG, LOOP], [...head, 'file', win, String(ctx.offsets.get(path) ?? -1), max, s.pattern, path], label);
      }
      return bash([PRELUDE, LOG, LOOP], [...head, 'journal', win, '-1', max, s.pattern, ...(s.unit !== undefined ? ['-u', s.unit] : ctx.journal)], label);
    }
  }
}

export function restartCommand(mainPid: Command, waitSeconds: number): Command {
  return { argv: ['bash', '-c', RESTART_SCRIPT, 'bash', String(Math.ceil(waitSeconds)), ...mainPid.argv], label: 'verify restart' };
}

/** Sizes of log files before apply changes anything; -1 for a file that does not exist. */
export function offsetsCommand(paths: readonly string[]): Command {
  return { argv: ['sh', '-c', 'for f; do s=$(wc -c <"$f" 2>/dev/null) || s=-1; echo "$s"; done; exit 0', 'sh', ...paths], label: 'measure log files' };
}

export function parseOffsets(paths: readonly string[], r: CommandResult | undefined): Map<string, number> {
  const sizes = (r?.stdout.toString('utf8') ?? '').split('\n');
  const out = new Map<string, number>();
  for (const [i, p] of paths.entries()) {
    const n = Number((sizes[i] ?? '').trim());
    if (sizes[i] !== undefined && Number.isSafeInteger(n) && n >= 0) out.set(p, n);
  }
  return out;
}

export interface CheckOutcome {
  readonly ok: boolean;
  readonly attempts: number;
  readonly evidence: string;
}

/** What a check script printed; anything else (bash missing, killed) is a failure with its stderr. */
export function parseCheckResult(r: CommandResult): CheckOutcome {
  const out = r.stdout.toString('utf8');
  const m = /^attempts (\d+)\n/.exec(out);
  if (!m || (r.code !== 0 && r.code !== 1)) {
    const err = r.stderr.toString('utf8').trim().slice(-300);
    return { ok: false, attempts: m ? Number(m[1]) : 0, evidence: `the check did not run (exit ${r.code})${err ? `: ${err}` : ''}${r.code === 127 ? '; the host needs bash' : ''}` };
  }
  return { ok: r.code === 0, attempts: Number(m[1]), evidence: out.slice(m[0].length).trimEnd() };
}
