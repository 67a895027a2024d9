/**
 * The dependency graph of one host's resources: explicit `requires` (must exist) plus the edges
 * modules declare (used when the playbook has the target). Ordering is topological with the
 * playbook order as tie-break, so output is stable.
 */
import type { ResourceInstance } from './resource.ts';

export interface Edge {
  readonly from: string; // the dependent
  readonly to: string; // what it needs
  readonly notify: boolean;
}

export interface ResourceGraph {
  readonly order: readonly ResourceInstance[];
  readonly edges: readonly Edge[];
  /** For each address, the addresses whose change should refresh it. */
  readonly notifiedBy: ReadonlyMap<string, readonly string[]>;
}

export type GraphProblem =
  | { kind: 'missing'; resource: ResourceInstance; target: string }
  | { kind: 'cycle'; resource: ResourceInstance; cycle: string[] };

export function buildGraph(resources: readonly ResourceInstance[]): { graph?: ResourceGraph; problems: GraphProblem[] } {
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const byRef = new Map(resources.map((r) => [`${r.module.kind}:${r.name}`, r]));
  const edges: Edge[] = [];
  const problems: GraphProblem[] = [];
  for (const r of resources) {
    for (const target of r.requires) {
      const t = byAddress.get(target) ?? byRef.get(target);
      if (!t) problems.push({ kind: 'missing', resource: r, target });
      else edges.push({ from: r.address, to: t.address, notify: false });
    }
    for (const e of r.module.edges(r.desired)) {
      const t = byRef.get(`${e.kind}:${e.name}`);
      if (t && t !== r) edges.push({ from: r.address, to: t.address, notify: e.notify ?? false });
    }
  }
  if (problems.length > 0) return { problems };

  const needs = new Map<string, Set<string>>(resources.map((r) => [r.address, new Set<string>()]));
  for (const e of edges) needs.get(e.from)?.add(e.to);
  const index = new Map(resources.map((r, i) => [r.address, i]));
  const order: ResourceInstance[] = [];
  const done = new Set<string>();
  while (order.length < resources.length) {
    const ready = resources.find((r) => !done.has(r.address) && [...(needs.get(r.address) ?? [])].every((n) => done.has(n)));
    if (!ready) {
      const stuck = resources.filter((r) => !done.has(r.address));
      const cycle = findCycle(stuck.map((r) => r.address), needs);
      const first = stuck.sort((a, b) => (index.get(a.address) ?? 0) - (index.get(b.address) ?? 0))[0];
      if (first) problems.push({ kind: 'cycle', resource: byAddress.get(cycle[0] ?? '') ?? first, cycle });
      return { problems };
    }
    order.push(ready);
    done.add(ready.address);
  }
  const notifiedBy = new Map<string, string[]>();
  for (const e of edges.filter((x) => x.notify)) notifiedBy.set(e.from, [...(notifiedBy.get(e.from) ?? []), e.to]);
  return { graph: { order, edges, notifiedBy }, problems };
}

function findCycle(nodes: string[], needs: Map<string, Set<string>>): string[] {
  const inSet = new Set(nodes);
  for (const start of nodes) {
    const path: string[] = [];
    const seen = new Set<string>();
    let cur: string | undefined = start;
    while (cur && !seen.has(cur)) {
      seen.add(cur);
      path.push(cur);
      cur = [...(needs.get(cur) ?? [])].find((n) => inSet.has(n));
    }
    if (cur) return [...path.slice(path.indexOf(cur)), cur];
  }
  return nodes;
}

/** Edges a module marked as probably needed (`ifMissing`) whose target the playbook lacks: warnings. */
export function missingEdgeAdvice(resources: readonly ResourceInstance[]): { resource: ResourceInstance; message: string; hint?: string }[] {
  const refs = new Set(resources.map((r) => `${r.module.kind}:${r.name}`));
  return resources.flatMap((r) => r.module.edges(r.desired).flatMap((e) => (e.ifMissing && !refs.has(`${e.kind}:${e.name}`) ? [{ resource: r, ...e.ifMissing }] : [])));
}
