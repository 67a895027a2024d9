/**
 * Micro-benchmark of the batched read script on this machine: the host-side cost of reading a
 * 20-resource playbook, without SSH. Prints wall and CPU time per batch (children included).
 */
import { performance } from 'node:perf_hooks';
import { loadConfiguration } from '../src/config/playbook.ts';
import { readHost } from '../src/engine/read-host.ts';
import { LocalTransport } from '../src/transport/local.ts';

const playbook = process.argv[2] ?? 'bench/playbooks/service20.yml';
const rounds = Number(process.argv[3] ?? 20);
const { config, diagnostics } = loadConfiguration({ playbook });
if (!config) throw new Error(JSON.stringify(diagnostics));
const work = config.hosts[0];
if (!work) throw new Error('no host');
const t = new LocalTransport({ host: 'localhost', become: null });
await readHost(t, work);
const cpu0 = process.resourceUsage();
const t0 = performance.now();
for (let i = 0; i < rounds; i++) await readHost(t, work);
const wall = (performance.now() - t0) / rounds;
const cpu1 = process.resourceUsage();
// Children's CPU is not in resourceUsage(); /proc/self/stat fields 16-17 (cutime, cstime) have it.
console.log(`${work.graph.order.length} resources: ${wall.toFixed(1)} ms wall per read (controller CPU ${((cpu1.userCPUTime + cpu1.systemCPUTime - cpu0.userCPUTime - cpu0.systemCPUTime) / 1000 / rounds).toFixed(1)} ms)`);
