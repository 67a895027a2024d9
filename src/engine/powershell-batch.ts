/**
 * The Windows counterpart of remote-script.ts: one PowerShell script carries a whole batch of
 * module scripts to a host in one round trip, and its output is parsed back into one result
 * per step.
 *
 * Values never become script text. Each module script is static text defined once as a script
 * block; the list of steps (script name + input) travels as base64 of JSON inside the script and
 * is decoded with ConvertFrom-Json on the host, so a hostile value can only ever be data.
 * Results come back one line per step, `<nonce> R <base64 of JSON>`: ASCII only, so no console
 * code page can mangle them, and the per-run nonce tells them apart from anything a step prints.
 */
import { randomBytes } from 'node:crypto';
import type { CommandResult, JsonValue, PowerShellCommand } from '../core/types.ts';

export interface PowerShellStep {
  readonly id: string;
  readonly command: PowerShellCommand;
}

const STEP_ID = /^[A-Za-z0-9_.:-]+$/;
const SCRIPT_NAME = /^[A-Za-z0-9_./-]+$/;

export function newPowerShellNonce(): string {
  return `@@provision-${randomBytes(12).toString('hex')}`;
}

/** The runner every batch shares; `$__steps`, `$__fn`, `$__stop` and `$__nonce` are set before it. */
const RUNNER = [
  'foreach ($__s in $__steps) {',
  '  $__r = [ordered]@{ id = $__s.id; code = 0; stdout = \'\'; stderr = \'\' }',
  '  try {',
  '    $global:LASTEXITCODE = 0',
  '    $__out = & $__fn[$__s.fn] $__s.input',
  // A script may answer @{ __raw = text; __exit = n }: text as is, and an exit code other than 0/1.
  '    if ($__out -is [hashtable] -and $__out.ContainsKey(\'__raw\')) {',
  '      $__r.stdout = [string]$__out[\'__raw\']',
  '      if ($__out.ContainsKey(\'__exit\')) { $__r.code = [int]$__out[\'__exit\'] }',
  '    } elseif ($null -eq $__out) { $__r.stdout = \'null\' } else { $__r.stdout = ConvertTo-Json -InputObject $__out -Depth 32 -Compress }',
  '  } catch {',
  '    $__r.code = 1',
  '    $__pos = $_.InvocationInfo.ScriptLineNumber',
  '    $__r.stderr = [string]$_.Exception.Message + \' (script \' + [string]$__s.fn + \', line \' + [string]$__pos + \')\'',
  '  }',
  '  $__json = ConvertTo-Json -InputObject $__r -Compress',
  '  [Console]::Out.Write($__nonce + \' R \' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($__json)) + "`n")',
  '  [Console]::Out.Flush()',
  '  if ($__stop -and $__r.code -ne 0) { break }',
  '}',
];

export interface PowerShellBatchOptions {
  readonly stopOnFailure: boolean;
}

/** One PowerShell script (one statement per line) that runs every step and frames its results. */
export function buildPowerShellBatch(steps: readonly PowerShellStep[], options: PowerShellBatchOptions, nonce: string): string {
  const names = new Map<string, string>();
  const list: JsonValue[] = [];
  for (const step of steps) {
    if (!STEP_ID.test(step.id)) throw new Error(`internal: bad step id ${JSON.stringify(step.id)}`);
    const script = step.command.powershell;
    if (!SCRIPT_NAME.test(script.name)) throw new Error(`internal: bad script name ${JSON.stringify(script.name)}`);
    const known = names.get(script.name);
    if (known !== undefined && known !== script.text) throw new Error(`internal: two different scripts are named ${script.name}`);
    names.set(script.name, script.text);
    list.push({ id: step.id, fn: script.name, input: step.command.input });
  }
  const data = Buffer.from(JSON.stringify({ steps: list }), 'utf8').toString('base64');
  const lines = [
    '$ErrorActionPreference = \'Stop\'',
    '$ProgressPreference = \'SilentlyContinue\'',
    `$__nonce = '${nonce}'`,
    `$__stop = $${options.stopOnFailure ? 'true' : 'false'}`,
    '$__fn = @{}',
    ...[...names.entries()].flatMap(([name, text]) => [`$__fn['${name}'] = {`, 'param($in)', text.replace(/\r\n/g, '\n').trimEnd(), '}']),
    // Split so no line grows past what editors and the syntax checker handle comfortably.
    '$__data = @(',
    ...chunk(data, 4096).map((c) => `'${c}'`),
    ') -join \'\'',
    // PowerShell 7 turns date-like strings into DateTime unless told not to (7.5+ can be told).
    '$__cfj = @{}',
    'if ((Get-Command ConvertFrom-Json).Parameters.ContainsKey(\'DateKind\')) { $__cfj[\'DateKind\'] = \'String\' }',
    '$__steps = ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($__data)) | ConvertFrom-Json @__cfj).steps',
    ...RUNNER,
    '',
  ];
  return lines.join('\n');
}

function chunk(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

export class PowerShellFramingError extends Error {
  override name = 'PowerShellFramingError';
}

interface StepRecord {
  id: string;
  code: number;
  stdout: string;
  stderr: string;
}

function isStepRecord(v: unknown): v is StepRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.id === 'string' && typeof r.code === 'number' && typeof r.stdout === 'string' && typeof r.stderr === 'string';
}

/**
 * Results by step id. Lines that do not carry the nonce (anything a step wrote to the console)
 * are ignored; a step that never ran (apply stopped early) is missing from the map.
 */
export function parsePowerShellBatchOutput(stdout: Buffer, nonce: string): Map<string, CommandResult> {
  const results = new Map<string, CommandResult>();
  const prefix = `${nonce} R `;
  for (const raw of stdout.toString('latin1').split('\n')) {
    const line = raw.replace(/\r$/, '');
    const at = line.indexOf(prefix);
    if (at < 0) continue;
    let record: unknown;
    try {
      record = JSON.parse(Buffer.from(line.slice(at + prefix.length), 'base64').toString('utf8'));
    } catch (e) {
      throw new PowerShellFramingError(`unreadable result line (${(e as Error).message})`);
    }
    if (!isStepRecord(record)) throw new PowerShellFramingError('a result line lacks id, code, stdout or stderr');
    results.set(record.id, { code: record.code, stdout: Buffer.from(record.stdout, 'utf8'), stderr: Buffer.from(record.stderr, 'utf8') });
  }
  return results;
}

/** What a host would print for the given results: the test server's scripted hosts answer with this. */
export function formatPowerShellBatchOutput(results: readonly { id: string; code: number; stdout: string; stderr?: string }[], nonce: string): string {
  return results.map((r) => `${nonce} R ${Buffer.from(JSON.stringify({ id: r.id, code: r.code, stdout: r.stdout, stderr: r.stderr ?? '' }), 'utf8').toString('base64')}\n`).join('');
}

/** The steps a batch script carries, decoded from its text (for scripted test hosts). */
export function decodePowerShellBatchSteps(script: string): { id: string; fn: string; input: JsonValue }[] {
  const m = /\$__data = @\(\n([\s\S]*?)\n\) -join ''/.exec(script);
  if (!m?.[1]) throw new PowerShellFramingError('not a provision batch script');
  const data = m[1].split('\n').map((l) => l.replace(/^'|'$/g, '')).join('');
  const parsed = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { steps: { id: string; fn: string; input: JsonValue }[] };
  return parsed.steps;
}

/** The nonce of a batch script (for scripted test hosts). */
export function powerShellBatchNonce(script: string): string {
  const m = /^\$__nonce = '([^']+)'$/m.exec(script);
  if (!m?.[1]) throw new PowerShellFramingError('not a provision batch script');
  return m[1];
}
