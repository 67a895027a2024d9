/**
 * Loading a playbook for an inventory: parse with positions, render every string per host,
 * validate the rendered plays against the schema, check each resource, build each host's graph.
 * The result is either a list of per-host work or diagnostics; never both with errors.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { moduleFor, modules } from '../../modules/registry.ts';
import { digest } from '../core/json.ts';
import { redactDesired } from '../engine/redact.ts';
import { crossResourceProblems, platformProblems } from './cross-checks.ts';
import { dedupe, hasErrors, type Diagnostic } from './diagnostics.ts';
import { buildGraph, missingEdgeAdvice, type ResourceGraph } from './graph.ts';
import { defaultInventory, hostOs, loadInventory, selectHosts, type Inventory, type InventoryHost } from './inventory.ts';
import type { ResourceInstance } from './resource.ts';
import { schemaDiagnostics } from './schema-errors.ts';
import { validateResourceAttributes, validator } from './schema.ts';
import { TemplateError, TemplateRenderer, type TemplateContext } from './template.ts';
import type { ValidateFunction } from 'ajv';
import { locate, parsePointer, pointer, readYamlFile, type JsonPath, type YamlSource } from './yaml-source.ts';

export interface HostWork {
  readonly host: InventoryHost;
  readonly graph: ResourceGraph;
  /** Secret values used for this host, to scrub from any text that leaves the engine. */
  readonly secrets: readonly string[];
  /** A play for this host says prune: true (delete orphans: resources the ledger lists but no play has). */
  readonly prune: boolean;
}

export interface Configuration {
  readonly playbookFile: string;
  readonly inventory: Inventory;
  readonly hosts: readonly HostWork[];
}

export interface LoadOptions {
  readonly playbook: string;
  readonly inventory?: string;
  readonly limit?: string;
  readonly environment?: NodeJS.ProcessEnv;
}

interface RawPlay {
  name?: string;
  hosts: string | string[];
  vars?: Record<string, unknown>;
  prune?: boolean;
  resources: Record<string, unknown>[];
}

const COMMON = new Set(['kind', 'id', 'requires']);

export function loadConfiguration(options: LoadOptions): { config?: Configuration; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let inventory = defaultInventory();
  if (options.inventory) {
    const inv = loadInventory(options.inventory);
    diagnostics.push(...inv.diagnostics);
    if (!inv.inventory) return { diagnostics: dedupe(diagnostics) };
    inventory = inv.inventory;
  }
  const { source, diagnostics: yamlDiags } = readYamlFile(options.playbook);
  diagnostics.push(...yamlDiags);
  if (!source) return { diagnostics: dedupe(diagnostics) };
  if (!Array.isArray(source.data)) {
    diagnostics.push({ severity: 'error', location: locate(source, []), path: '', message: 'a playbook is a list of plays', hint: 'start the file with "- hosts: all" followed by "  resources:"' });
    return { diagnostics };
  }
  const plays = source.data as RawPlay[];
  let limited: Set<string> | undefined;
  if (options.limit) {
    const sel = selectHosts(inventory, options.limit);
    for (const u of sel.unknown) diagnostics.push({ severity: 'error', location: { file: '--limit', line: 1, column: 1 }, path: '', message: `--limit names "${u}", which is neither a host nor a group of ${inventory.origin}` });
    limited = new Set(sel.hosts);
  }

  const renderer = new TemplateRenderer(options.environment ?? process.env);
  const perHost = new Map<string, { resources: ResourceInstance[]; secrets: Set<string>; prune: boolean }>();
  const playValidator = validator('playbook.schema.json#/$defs/play' as 'playbook.schema.json');
  const baseDir = dirname(resolve(options.playbook));

  plays.forEach((play, p) => {
    if (play === null || typeof play !== 'object' || Array.isArray(play)) {
      diagnostics.push({ severity: 'error', location: locate(source, [p]), path: pointer([p]), message: 'a play is a mapping with hosts and resources' });
      return;
    }
    const pattern = play.hosts ?? [];
    const selected = typeof pattern === 'string' || Array.isArray(pattern) ? selectHosts(inventory, pattern) : { hosts: [], unknown: [] };
    for (const u of selected.unknown) {
      diagnostics.push({ severity: 'warning', location: locate(source, [p, 'hosts']), path: pointer([p, 'hosts']), message: `"${u}" is neither a host nor a group of ${inventory.origin}` });
    }
    const targets = selected.hosts.filter((h) => !limited || limited.has(h));
    if (selected.hosts.length === 0) {
      // Nothing to render for: still check the structure, without templates.
      if (!playValidator(play)) diagnostics.push(...schemaDiagnostics(playValidator.errors ?? [], source, { prefix: [p], kinds: modules.map((m) => m.kind) }));
    }
    for (const hostName of targets) {
      const host = inventory.hosts.get(hostName);
      if (!host) continue;
      const entry = perHost.get(hostName) ?? { resources: [], secrets: new Set<string>(), prune: false };
      if (play.prune === true) entry.prune = true;
      perHost.set(hostName, entry);
      const ctx: TemplateContext = { vars: { ...host.vars, ...(play.vars ?? {}) }, host: { name: host.name, address: host.address, groups: host.groups } };
      const before = diagnostics.length;
      const rendered = renderPlay(play, p, source, ctx, renderer, baseDir, diagnostics);
      if (diagnostics.length > before) continue; // template errors: the schema would only repeat them
      coerceTypedTemplates(rendered, playValidator);
      if (!playValidator(rendered.play)) {
        diagnostics.push(...schemaDiagnostics(playValidator.errors ?? [], source, { prefix: [p], host: hostName, kinds: modules.map((m) => m.kind) }));
        continue;
      }
      rendered.secrets.forEach((s) => entry.secrets.add(s));
      entry.resources.push(...instances(rendered.play, p, source, rendered.sensitive, hostName, diagnostics));
    }
  });

  const hosts: HostWork[] = [];
  for (const [hostName, entry] of perHost) {
    const seen = new Map<string, ResourceInstance>();
    for (const r of entry.resources) {
      const prev = seen.get(r.address);
      if (prev) {
        diagnostics.push({ severity: 'error', location: r.location, path: '', host: hostName, message: `duplicate resource ${r.address} (first defined at line ${prev.location.line})`, hint: 'each resource may be declared once per host; give one an explicit id or remove it' });
      }
      seen.set(r.address, r);
    }
    const invHost = inventory.hosts.get(hostName);
    const platform = invHost ? platformProblems(entry.resources, hostOs(invHost), hostName) : [];
    for (const prob of [...platform, ...crossResourceProblems(entry.resources)]) {
      diagnostics.push({ severity: 'error', location: prob.location, path: '', host: hostName, message: prob.message, hint: prob.hint });
    }
    const { graph, problems } = buildGraph(entry.resources);
    for (const prob of problems) {
      diagnostics.push(
        prob.kind === 'missing'
          ? { severity: 'error', location: prob.resource.location, path: '', host: hostName, message: `${prob.resource.address} requires ${prob.target}, which is not in the playbook for this host`, hint: 'requires takes resource addresses such as user:app or file:/etc/app.conf' }
          : { severity: 'error', location: prob.resource.location, path: '', host: hostName, message: `dependency cycle: ${prob.cycle.join(' -> ')}`, hint: 'remove one of the requires (or the attribute that creates the automatic edge)' },
      );
    }
    for (const a of missingEdgeAdvice(entry.resources)) {
      diagnostics.push({ severity: 'warning', location: a.resource.location, path: '', host: hostName, message: `${a.resource.address}: ${a.message}`, ...(a.hint === undefined ? {} : { hint: a.hint }) });
    }
    if (graph) hosts.push({ host: inventory.hosts.get(hostName) as InventoryHost, graph, secrets: [...entry.secrets], prune: entry.prune });
  }
  const all = dedupe(diagnostics);
  if (hasErrors(all)) return { diagnostics: all };
  return { config: { playbookFile: resolve(options.playbook), inventory, hosts }, diagnostics: all };
}

/**
 * A lone {{variable}} keeps the variable's type so `uid: "{{uid}}"` stays a number; where the
 * schema wants a string (an environment value, say) such a value becomes its text.
 */
function coerceTypedTemplates(rendered: RenderedPlay, validate: ValidateFunction): void {
  for (let round = 0; round < 3 && !validate(rendered.play); round++) {
    let fixed = false;
    for (const e of validate.errors ?? []) {
      const want = (e.params as { type?: string | string[] }).type;
      if (e.keyword !== 'type' || !(want === 'string' || (Array.isArray(want) && want.includes('string')))) continue;
      const path = parsePointer(e.instancePath);
      if (!rendered.typed.has(pointer(path))) continue;
      const key = path.pop();
      let parent: unknown = rendered.play;
      for (const seg of path) parent = (parent as Record<string | number, unknown>)[seg];
      if (key === undefined || parent === null || typeof parent !== 'object') continue;
      (parent as Record<string | number, unknown>)[key] = String((parent as Record<string | number, unknown>)[key]);
      fixed = true;
    }
    if (!fixed) return;
  }
}

interface RenderedPlay {
  play: RawPlay;
  /** JSON pointers (relative to the play) of values a lone {{variable}} rendered as number or boolean. */
  typed: Set<string>;
  /** Per resource index: sensitive attribute paths. */
  sensitive: Map<number, Set<string>>;
  secrets: Set<string>;
}

function renderPlay(play: RawPlay, p: number, src: YamlSource, ctx: TemplateContext, renderer: TemplateRenderer, baseDir: string, diagnostics: Diagnostic[]): RenderedPlay {
  const sensitive = new Map<number, Set<string>>();
  const secrets = new Set<string>();
  const typed = new Set<string>();
  const walk = (value: unknown, path: JsonPath): unknown => {
    if (typeof value === 'string') {
      try {
        const r = renderer.render(value, ctx);
        if (r.sensitive) {
          const [, , index, ...attr] = path;
          if (typeof index === 'number' && path[1] === 'resources') {
            const set = sensitive.get(index) ?? new Set<string>();
            set.add(attr.join('.'));
            sensitive.set(index, set);
          }
          if (typeof r.value === 'string' && r.value !== '') secrets.add(r.value);
        }
        if (typeof r.value !== 'string') typed.add(pointer(path.slice(1)));
        return r.value;
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        diagnostics.push({ severity: 'error', location: locate(src, path), path: pointer(path), message: e.message, hint: e.hint, host: ctx.host.name });
        return value;
      }
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };
  const resources = Array.isArray(play.resources)
    ? play.resources.map((r, i) => {
        const out = walk(r, [p, 'resources', i]) as Record<string, unknown>;
        return expandTemplateFile(out, [p, 'resources', i], src, ctx, renderer, baseDir, diagnostics, sensitive, secrets, i);
      })
    : play.resources;
  return { play: { ...play, resources }, typed, sensitive, secrets };
}

/** `template: path` on a file resource becomes its `content`, rendered for the host. */
function expandTemplateFile(
  r: Record<string, unknown>, path: JsonPath, src: YamlSource, ctx: TemplateContext, renderer: TemplateRenderer,
  baseDir: string, diagnostics: Diagnostic[], sensitive: Map<number, Set<string>>, secrets: Set<string>, index: number,
): Record<string, unknown> {
  if (r === null || typeof r !== 'object' || typeof r.template !== 'string' || r.content !== undefined) return r;
  const file = resolve(baseDir, r.template);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    diagnostics.push({ severity: 'error', location: locate(src, [...path, 'template']), path: pointer([...path, 'template']), message: `cannot read template ${r.template}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, hint: 'template paths are relative to the playbook file' });
    return r;
  }
  try {
    const rendered = renderer.render(text, ctx);
    if (rendered.sensitive) {
      sensitive.set(index, (sensitive.get(index) ?? new Set<string>()).add('content'));
      secrets.add(String(rendered.value));
    }
    const { template: _template, ...rest } = r;
    return { ...rest, content: String(rendered.value) };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    diagnostics.push({ severity: 'error', location: locate(src, [...path, 'template']), path: pointer([...path, 'template']), message: `${r.template}: ${e.message}`, hint: e.hint, host: ctx.host.name });
    return r;
  }
}

function instances(play: RawPlay, p: number, src: YamlSource, sensitive: Map<number, Set<string>>, host: string, diagnostics: Diagnostic[]): ResourceInstance[] {
  const out: ResourceInstance[] = [];
  play.resources.forEach((raw, i) => {
    const mod = moduleFor(String(raw.kind));
    if (!mod) return;
    const desired = Object.fromEntries(Object.entries(raw).filter(([k]) => !COMMON.has(k)));
    const path: JsonPath = [p, 'resources', i];
    const attrErrors = validateResourceAttributes(mod, desired);
    if (attrErrors.length > 0) {
      diagnostics.push(...schemaDiagnostics(attrErrors, src, { prefix: path, host }));
      return;
    }
    const paths = new Set(sensitive.get(i) ?? []);
    if (desired.sensitive === true) paths.add('content');
    for (const a of mod.sensitiveAttributes) paths.add(a);
    for (const c of mod.check?.(desired) ?? []) {
      diagnostics.push({ severity: c.severity ?? 'error', location: locate(src, [...path, c.attribute]), path: pointer([...path, c.attribute]), message: c.message, hint: c.hint, host });
    }
    for (const secret of [...paths].filter((sp) => (mod.publicAttributes ?? []).some((a) => sp === a || sp.startsWith(`${a}.`)))) {
      const at = [...path, ...secret.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k))];
      diagnostics.push({ severity: 'error', location: locate(src, at), path: pointer(at), message: `${secret} holds a secret, and its value would be on a command line on the host`, hint: 'let the check read the secret on the host (e.g. a command that reads a root-only file) instead of templating it in', host });
    }
    const name = mod.name(desired);
    const redacted = redactDesired(desired, paths);
    out.push({
      address: typeof raw.id === 'string' ? raw.id : `${mod.kind}:${name}`,
      module: mod,
      name,
      desired,
      requires: Array.isArray(raw.requires) ? raw.requires.map(String) : [],
      sensitivePaths: paths,
      location: locate(src, path),
      desiredDigest: digest({ kind: mod.kind, desired: redacted, sensitive: [...paths].sort() }),
    });
  });
  return out;
}
