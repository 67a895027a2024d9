import { loadOrReport } from './shared.ts';

export async function runValidate(opts: { playbook: string; inventory?: string; limit?: string }): Promise<number> {
  const config = loadOrReport(opts);
  if (!config) return 1;
  const resources = config.hosts.reduce((n, h) => n + h.graph.order.length, 0);
  console.log(`${opts.playbook}: valid (${config.hosts.length} host${config.hosts.length === 1 ? '' : 's'}, ${resources} resource instance${resources === 1 ? '' : 's'}).`);
  return 0;
}
