/**
 * Module PowerShell scripts live as .ps1 files beside the module (modules/<kind>/<name>.ps1), so
 * they read as PowerShell, get checked by a real parser in tests, and are never assembled from
 * values: a script is static text and receives everything it needs as `$in` (JSON data).
 *
 * Rules for a script (the batch wraps it as `{ param($in) <text> }`): one statement per line;
 * return exactly one object (a hashtable or [pscustomobject]) or nothing; throw on failure; pipe
 * unwanted output to Out-Null; check $LASTEXITCODE after every native program. A script that must
 * answer raw text or an exit code other than 0/1 returns `@{ __raw = <text>; __exit = <n> }`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue, PowerShellCommand, PowerShellScript } from './types.ts';
import { packageRoot } from './paths.ts';

const cache = new Map<string, PowerShellScript>();

/** The script modules/<name>.ps1, e.g. psScript('registry_value/read'). */
export function psScript(name: string): PowerShellScript {
  let script = cache.get(name);
  if (!script) {
    script = { name, text: readFileSync(join(packageRoot(), 'modules', `${name}.ps1`), 'utf8').replace(/^\uFEFF/, '') };
    cache.set(name, script);
  }
  return script;
}

export function psCommand(name: string, input: JsonValue, label: string): PowerShellCommand {
  return { powershell: psScript(name), input, label };
}
