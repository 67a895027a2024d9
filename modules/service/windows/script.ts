/**
 * Windows scripts that share a helper start with a prelude: static text from another .ps1 file
 * (quote.ps1 for scripts that write command lines, resolve.ps1 for those that compare accounts),
 * put in front once per script name. The result is static text like any module script; values
 * still travel only as `$in`.
 */
import { psScript } from '../../../src/core/powershell-script.ts';
import type { JsonValue, PowerShellCommand, PowerShellScript } from '../../../src/core/types.ts';

const PRELUDES: Readonly<Record<string, readonly string[]>> = {
  'service/windows/scm-install': ['service/windows/quote'],
  'service/windows/scm-configure': ['service/windows/quote'],
  'service/windows/nssm-parameters': ['service/windows/quote'],
  'service/windows/task-register': ['service/windows/quote'],
  'service/windows/read': ['service/windows/resolve'],
  'user_right/lsa': ['service/windows/resolve'],
};

const cache = new Map<string, PowerShellScript>();

export function windowsScript(name: string): PowerShellScript {
  let script = cache.get(name);
  if (!script) {
    const parts = [...(PRELUDES[name] ?? []), name].map((n) => psScript(n).text.replace(/\r\n/g, '\n').trimEnd());
    script = { name, text: `${parts.join('\n')}\n` };
    cache.set(name, script);
  }
  return script;
}

export function windowsCommand(name: string, input: JsonValue, label: string): PowerShellCommand {
  return { powershell: windowsScript(name), input, label };
}
