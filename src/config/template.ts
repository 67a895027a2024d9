/**
 * Handlebars rendering of playbook strings, per host. Values read through the `env` helper are
 * secrets: any string that used it is marked sensitive and redacted in every output.
 * A string that is exactly one `{{variable}}` keeps the variable's type (a number stays a number).
 * Backslashes are literal: Handlebars reads `\{{` as an escaped mustache, which would silently
 * break every Windows path such as `C:\App\{{name}}`, so a backslash run before `{{` is doubled.
 */
import Handlebars from 'handlebars';

export interface TemplateContext {
  readonly vars: Readonly<Record<string, unknown>>;
  readonly host: { readonly name: string; readonly address: string; readonly groups: readonly string[] };
}

export interface Rendered<T = unknown> {
  readonly value: T;
  readonly sensitive: boolean;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

const WHOLE_VARIABLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}$/;

/** Handlebars drops one backslash of a run before `{{` (and with one, skips the mustache): pad the run by one. */
function keepBackslashes(template: string): string {
  return template.replace(/(\\+)(?=\{\{)/g, '$1\\');
}

/** One Handlebars environment per render call tracks whether `env` was used. */
export class TemplateRenderer {
  readonly #hb = Handlebars.create();
  readonly #cache = new Map<string, Handlebars.TemplateDelegate>();
  #usedSecret = false;

  constructor(private readonly environment: NodeJS.ProcessEnv = process.env) {
    this.#hb.registerHelper('env', (name: unknown) => {
      if (typeof name !== 'string') throw new TemplateError('env needs a variable name: {{env "NAME"}}');
      const value = this.environment[name];
      if (value === undefined) throw new TemplateError(`environment variable ${name} is not set`, `export ${name}=... before running provision, or remove the {{env "${name}"}} reference`);
      this.#usedSecret = true;
      return value;
    });
    this.#hb.registerHelper('default', (value: unknown, fallback: unknown) => (value === undefined || value === null || value === '' ? fallback : value));
  }

  render(template: string, ctx: TemplateContext): Rendered {
    if (!template.includes('{{')) return { value: template, sensitive: false };
    const data = { ...ctx.vars, host: ctx.host };
    const whole = WHOLE_VARIABLE.exec(template);
    if (whole?.[1] && whole[1] !== 'env') {
      const v = lookup(data, whole[1]);
      if (v === undefined) throw undefinedVariable(whole[1], ctx);
      if (typeof v === 'number' || typeof v === 'boolean') return { value: v, sensitive: false };
    }
    let compiled = this.#cache.get(template);
    if (!compiled) {
      compiled = this.#hb.compile(keepBackslashes(template), { noEscape: true, strict: true, knownHelpersOnly: false });
      this.#cache.set(template, compiled);
    }
    this.#usedSecret = false;
    try {
      const value = compiled(data);
      return { value, sensitive: this.#usedSecret };
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      const msg = (e as Error).message;
      const missing = /"([^"]+)" not defined/.exec(msg);
      if (missing?.[1]) throw undefinedVariable(missing[1], ctx);
      throw new TemplateError(`template error: ${msg.split('\n')[0]}`, 'check the {{ }} syntax: https://handlebarsjs.com/guide/');
    }
  }
}

function undefinedVariable(name: string, ctx: TemplateContext): TemplateError {
  return new TemplateError(
    `template variable "${name}" is not defined for host ${ctx.host.name}`,
    'define it under vars: in the inventory (all, a group or the host) or in the play, or use {{default name "fallback"}}',
  );
}

function lookup(data: Record<string, unknown>, path: string): unknown {
  let v: unknown = data;
  for (const seg of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}
