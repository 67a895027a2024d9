/**
 * The lock and the ledger on a Windows host, as PowerShell for the batch: the same protocol as
 * host-state-linux.ts. The lock is a file created with FileMode.CreateNew (atomic: it fails when
 * the file exists) holding the holder JSON; the ledger is one JSON file replaced by a rename.
 * Both live in C:\ProgramData\provision, which only SYSTEM and Administrators may open.
 */
import type { PowerShellCommand, PowerShellScript } from '../core/types.ts';
import { LOCK_HELD_EXIT, type HostStateScripts, type LockHolder } from './host-state.ts';

export const DEFAULT_WINDOWS_STATE_DIR = 'C:\\ProgramData\\provision';

/** Creates the state directory readable only by SYSTEM and Administrators (defined in every script that writes). */
const ENSURE_DIR = [
  'function Initialize-ProvisionDir([string]$dir) {',
  '  if (Test-Path -LiteralPath $dir -PathType Container) { return }',
  '  $null = New-Item -ItemType Directory -Force -Path $dir',
  '  $acl = New-Object System.Security.AccessControl.DirectorySecurity',
  '  $acl.SetAccessRuleProtection($true, $false)',
  "  foreach ($sid in @('S-1-5-18', 'S-1-5-32-544')) {",
  '    $id = New-Object System.Security.Principal.SecurityIdentifier($sid)',
  "    $rule = New-Object System.Security.AccessControl.FileSystemAccessRule($id, 'FullControl', 'ContainerInherit,ObjectInherit', 'None', 'Allow')",
  '    $acl.AddAccessRule($rule)',
  '  }',
  '  (Get-Item -LiteralPath $dir).SetAccessControl($acl)',
  '}',
];

const READ_HOLDER = [
  'function Read-Holder([string]$path) {',
  '  try { return [IO.File]::ReadAllText($path, [Text.Encoding]::UTF8) } catch { return \'\' }',
  '}',
];

const script = (name: string, lines: readonly string[]): PowerShellScript => ({ name: `engine/${name}`, text: lines.join('\n') });

const ACQUIRE = script('lock-acquire', [
  ...ENSURE_DIR,
  ...READ_HOLDER,
  'Initialize-ProvisionDir (Split-Path -Parent $in.path)',
  'try {',
  "  $fs = [IO.File]::Open($in.path, 'CreateNew', 'Write', 'None')",
  '} catch [System.IO.IOException] {',
  '  $held = Read-Holder $in.path',
  // The same run asking again (a reconnect) already holds it.
  "  if ($held.Contains('\"run\":\"' + $in.run + '\"')) { return @{ __raw = ''; __exit = 0 } }",
  `  return @{ __raw = $held; __exit = ${LOCK_HELD_EXIT} }`,
  '}',
  'try {',
  '  $bytes = [Text.Encoding]::UTF8.GetBytes([string]$in.holder)',
  '  $fs.Write($bytes, 0, $bytes.Length)',
  '} finally {',
  '  $fs.Dispose()',
  '}',
  "return @{ __raw = '' }",
]);

const RELEASE = script('lock-release', [
  ...READ_HOLDER,
  "if (-not (Test-Path -LiteralPath $in.path)) { return @{ __raw = '' } }",
  '$held = Read-Holder $in.path',
  "if ($held.Contains('\"run\":\"' + $in.run + '\"')) { Remove-Item -LiteralPath $in.path -Force }",
  "return @{ __raw = '' }",
]);

const BREAK = script('lock-break', [
  ...READ_HOLDER,
  "if (-not (Test-Path -LiteralPath $in.path)) { return @{ __raw = '' } }",
  '$held = Read-Holder $in.path',
  'Remove-Item -LiteralPath $in.path -Force',
  'return @{ __raw = $held }',
]);

const READ_LEDGER = script('ledger-read', [
  "if (-not (Test-Path -LiteralPath $in.path -PathType Leaf)) { return @{ __raw = '' } }",
  'return @{ __raw = [IO.File]::ReadAllText($in.path, [Text.Encoding]::UTF8) }',
]);

const WRITE_LEDGER = script('ledger-write', [
  ...ENSURE_DIR,
  'Initialize-ProvisionDir (Split-Path -Parent $in.path)',
  "if (Test-Path -LiteralPath $in.path -PathType Container) { throw ($in.path + ' is a directory, not the ledger file') }",
  "$tmp = $in.path + '.' + [Guid]::NewGuid().ToString('N') + '.tmp'",
  '[IO.File]::WriteAllText($tmp, [string]$in.text, (New-Object System.Text.UTF8Encoding($false)))',
  'try {',
  "  if (Test-Path -LiteralPath $in.path) { [IO.File]::Replace($tmp, $in.path, $null) } else { [IO.File]::Move($tmp, $in.path) }",
  '} catch {',
  '  Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue',
  '  throw',
  '}',
  "return @{ __raw = '' }",
]);

export function windowsHostState(stateDir: string = DEFAULT_WINDOWS_STATE_DIR): HostStateScripts<PowerShellCommand> {
  const lockPath = `${stateDir}\\lock.json`;
  const ledgerPath = `${stateDir}\\ledger.json`;
  const command = (s: PowerShellScript, input: Record<string, string>, label: string): PowerShellCommand => ({ powershell: s, input, label });
  return {
    lockPath,
    ledgerPath,
    acquireLock: (holder: LockHolder) => command(ACQUIRE, { path: lockPath, run: holder.run, holder: JSON.stringify(holder) }, `take the apply lock ${lockPath}`),
    releaseLock: (run: string) => command(RELEASE, { path: lockPath, run }, `release the apply lock ${lockPath}`),
    breakLock: () => command(BREAK, { path: lockPath }, `remove the apply lock ${lockPath}`),
    readLedger: () => command(READ_LEDGER, { path: ledgerPath }, `read the ledger ${ledgerPath}`),
    writeLedger: (json: string) => command(WRITE_LEDGER, { path: ledgerPath, text: json }, `write the ledger ${ledgerPath}`),
  };
}
