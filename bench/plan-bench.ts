/**
 * The plan benchmark: `provision plan` on converged hosts (the drift-job case) against a bare
 * ssh2 floor and Ansible's --check, for N hosts each. See bench/README.md.
 *
 *   npm run bench -- [--hosts 10,50] [--rounds 3] [--ansible-rounds K] [--no-ansible] [--keep-hosts]
 *
 * --ansible-rounds K: Ansible's rounds at the largest N only (it takes minutes there); default --rounds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { loadConfiguration } from '../src/config/playbook.ts';
import { planFleet } from '../src/engine/fleet.ts';
import type { PlanDocument } from '../src/engine/plan-document.ts';
import { transportFor } from '../src/transport/factory.ts';
import type { TestFleet } from '../test/harness/hosts.ts';
import { ansibleEnv, ansibleVersion, applyArgv, checkArgv, ensureAnsible, execsPerHost, parseRecap } from './ansible.ts';
import { floorScript, type FloorState } from './floor-ssh2.ts';
import { harnessStatus, startFleet, stopFleet, useBenchHarness, writeAnsibleInventory, writeFloorTargets, writeProvisionInventory } from './fleet.ts';
import { cleanStaleCgroups, ensureGnuTime, hostCgroups, measure, median, type Sample } from './measure.ts';

type Tool = 'provision' | 'floor' | 'ansible';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const PLAYBOOK = here('./playbooks/service20.yml');
const RESULTS = here('./results/');
const MAIN = here('../src/cli/main.ts');
const FLOOR = here('./floor-ssh2.ts');
const ROOT = here('../');
const LOCK = '/tmp/provision-bench/bench.lock';
const node = (script: string, ...args: string[]): string[] => [process.execPath, '--import', 'tsx', script, ...args];

interface Options {
  readonly sizes: number[];
  readonly rounds: number;
  readonly ansibleRounds: number;
  readonly ansible: boolean;
  readonly keepHosts: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string', default: '10,50' },
      rounds: { type: 'string', default: '3' },
      'ansible-rounds': { type: 'string' },
      'no-ansible': { type: 'boolean', default: false },
      'keep-hosts': { type: 'boolean', default: false },
    },
  });
  const sizes = (values.hosts ?? '').split(',').map(Number);
  const rounds = Number(values.rounds);
  const ansibleRounds = values['ansible-rounds'] === undefined ? rounds : Number(values['ansible-rounds']);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 240)) throw new Error('--hosts: a comma-separated list of 1..240');
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(ansibleRounds) || ansibleRounds < 1) throw new Error('--rounds / --ansible-rounds: whole numbers >= 1');
  return { sizes: [...new Set(sizes)].sort((a, b) => a - b), rounds, ansibleRounds: Math.min(ansibleRounds, rounds), ansible: !values['no-ansible'], keepHosts: values['keep-hosts'] ?? false };
}

/** One benchmark at a time on this machine: a pid lock, waited for while its owner lives. */
async function lock(): Promise<void> {
  mkdirSync('/tmp/provision-bench', { recursive: true });
  for (let waited = 0; ; waited += 10) {
    const owner = existsSync(LOCK) ? Number(readFileSync(LOCK, 'utf8')) : 0;
    const alive = owner > 0 && owner !== process.pid && existsSync(`/proc/${owner}`);
    if (!alive) break;
    if (waited >= 1800) throw new Error(`another benchmark (pid ${owner}) has held ${LOCK} for 30 minutes`);
    console.error(`[bench] another benchmark (pid ${owner}) is running; waiting`);
    await new Promise((r) => setTimeout(r, 10_000));
  }
  writeFileSync(LOCK, String(process.pid));
}

/** What the floor reads: the names and paths of the provision playbook's resources. */
function floorState(): FloorState {
  const plays = parseYaml(readFileSync(PLAYBOOK, 'utf8')) as { resources: { kind: string; name?: string; path?: string }[] }[];
  const all = plays.flatMap((p) => p.resources);
  const of = (kind: string, key: 'name' | 'path'): string[] => all.filter((r) => r.kind === kind).map((r) => r[key] ?? '');
  return { users: of('user', 'name'), groups: of('group', 'name'), directories: of('directory', 'path'), files: of('file', 'path'), services: of('systemd_service', 'name') };
}

function run(argv: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', env, cwd: ROOT, maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${argv.slice(0, 4).join(' ')} ... failed (exit ${r.status}):\n${r.stderr.slice(-3000)}${r.stdout.slice(-3000)}`);
  return r.stdout;
}

/** Execs per host of one in-process plan; also checks the hosts are converged. */
async function provisionExecs(inventory: string, n: number): Promise<number> {
  const { config, diagnostics } = loadConfiguration({ playbook: PLAYBOOK, inventory });
  if (!config) throw new Error(`playbook does not load: ${JSON.stringify(diagnostics)}`);
  const resources = config.hosts[0]?.graph.order.length;
  if (resources !== 20) throw new Error(`the playbook has ${resources} resources per host, expected 20`);
  const outcomes = await planFleet(config, { forks: n, transportFor: (w) => transportFor(w.host) });
  const bad = outcomes.filter((o) => o.plan.error || o.plan.resources.some((r) => r.action !== 'none'));
  if (bad.length > 0) throw new Error(`hosts not converged or failing: ${bad.map((o) => o.plan.host).join(', ')}: ${JSON.stringify(bad[0]?.plan.error ?? bad[0]?.plan.resources.filter((r) => r.action !== 'none'))}`);
  return median(outcomes.map((o) => o.execs));
}

/** Fails unless a timed run's output shows all n hosts read without changes. */
function checkOutput(tool: Tool, n: number, s: Sample, stdoutFile: string): void {
  if (s.exitCode !== 0) throw new Error(`${tool} on ${n} hosts exited ${s.exitCode}: ${s.stderrTail}`);
  const out = readFileSync(stdoutFile, 'utf8');
  if (tool === 'provision') {
    const doc = JSON.parse(out) as PlanDocument;
    const changes = doc.summary.create + doc.summary.update + doc.summary.delete + doc.summary.refresh;
    if (doc.summary.hosts !== n || doc.summary.hosts_failed > 0 || changes > 0) throw new Error(`provision plan on ${n} hosts: ${JSON.stringify(doc.summary)}`);
  } else if (tool === 'ansible') {
    const r = parseRecap(out);
    if (r.hosts !== n || r.changed > 0 || r.failed > 0 || r.unreachable > 0) throw new Error(`ansible --check on ${n} hosts: ${JSON.stringify(r)}`);
  } else if (!out.startsWith(`floor: ${n}/${n} hosts read`)) {
    throw new Error(`floor on ${n} hosts: ${out}`);
  }
}

interface Row {
  readonly hosts: number;
  readonly tool: Tool;
  readonly rounds: number;
  readonly wallS: number;
  readonly cpuS: number;
  readonly peakRssMiB: number;
  readonly hostCpuS: number | null;
  readonly execsPerHost: number;
  readonly samples: readonly Sample[];
}

function row(hosts: number, tool: Tool, samples: readonly Sample[], execs: number): Row {
  const hostCpu = samples.map((s) => s.hostCpuS).filter((v): v is number => v !== null);
  return {
    hosts,
    tool,
    rounds: samples.length,
    wallS: median(samples.map((s) => s.wallS)),
    cpuS: median(samples.map((s) => s.cpuS)),
    peakRssMiB: median(samples.map((s) => s.peakRssMiB)),
    hostCpuS: hostCpu.length === samples.length ? median(hostCpu) : null,
    execsPerHost: execs,
    samples,
  };
}

function table(rows: readonly Row[]): string {
  const f = (x: number, d = 2): string => x.toFixed(d);
  const head = ['N', 'tool', 'rounds', 'wall s', 'CPU s', 'peak RSS MiB', 'host CPU s', 'execs/host', 'wall vs prov', 'CPU vs prov'];
  const lines = [head];
  for (const r of rows) {
    const p = rows.find((x) => x.hosts === r.hosts && x.tool === 'provision');
    const ratio = (a: number, b: number | undefined): string => (b === undefined || r.tool === 'provision' ? '' : `${f(a / b, 1)}x`);
    lines.push([String(r.hosts), r.tool, String(r.rounds), f(r.wallS), f(r.cpuS), f(r.peakRssMiB, 0), r.hostCpuS === null ? '-' : f(r.hostCpuS), String(r.execsPerHost), ratio(r.wallS, p?.wallS), ratio(r.cpuS, p?.cpuS)]);
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  const text = lines.map((l) => l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  text.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const notes: string[] = [];
  for (const n of [...new Set(rows.map((r) => r.hosts))]) {
    const get = (t: Tool): Row | undefined => rows.find((x) => x.hosts === n && x.tool === t);
    const p = get('provision');
    const fl = get('floor');
    const a = get('ansible');
    if (p && a) notes.push(`N=${n}: ansible/provision wall ${f(a.wallS / p.wallS, 1)}x, CPU ${f(a.cpuS / p.cpuS, 1)}x`);
    if (p && fl) notes.push(`N=${n}: provision/floor wall ${f(p.wallS / fl.wallS, 1)}x, CPU ${f(p.cpuS / fl.cpuS, 1)}x`);
  }
  return [...text, '', ...notes].join('\n');
}

async function main(): Promise<void> {
  const opts = options();
  const maxN = Math.max(...opts.sizes);
  useBenchHarness();
  await lock();
  ensureGnuTime();
  if (opts.ansible) ensureAnsible();
  cleanStaleCgroups();
  console.error(`[bench] harness ${process.env['TESTHOSTS_PREFIX']}* at ${process.env['TESTHOSTS_STATE']}; status before:\n${harnessStatus()}`);
  let fleet: TestFleet | undefined;
  try {
    console.error(`[bench] booting/reusing ${maxN} hosts`);
    fleet = await startFleet(maxN);
    const f = fleet;
    mkdirSync(RESULTS, { recursive: true });
    const inv = new Map(opts.sizes.map((n) => [n, writeProvisionInventory(f, n, RESULTS)]));
    const ansibleInv = new Map(opts.sizes.map((n) => [n, writeAnsibleInventory(f, n, RESULTS)]));
    const floorHosts = new Map(opts.sizes.map((n) => [n, writeFloorTargets(f, n, RESULTS)]));
    const floorScriptFile = `${RESULTS}floor-script.sh`;
    writeFileSync(floorScriptFile, floorScript(floorState()));

    console.error('[bench] converging: provision apply --yes, ansible-playbook (not timed)');
    run(node(MAIN, 'apply', PLAYBOOK, '-i', inv.get(maxN) as string, '--yes', '--forks', String(maxN)));
    if (opts.ansible) run(applyArgv(ansibleInv.get(maxN) as string), ansibleEnv());

    const execs = new Map<string, number>();
    for (const n of opts.sizes) execs.set(`provision/${n}`, await provisionExecs(inv.get(n) as string, n));
    const ansibleExecs = opts.ansible ? execsPerHost(ansibleInv.get(maxN) as string, f.hosts[0]?.name ?? '') : 0;

    const samples = new Map<string, Sample[]>();
    const add = (key: string, s: Sample): void => void samples.set(key, [...(samples.get(key) ?? []), s]);
    const outFile = `${RESULTS}last-stdout.txt`;
    for (let round = 1; round <= opts.rounds; round++) {
      for (const n of opts.sizes) {
        const hostsCg = hostCgroups(f.hosts.slice(0, n).map((h) => h.name));
        const cmds: [Tool, string[], NodeJS.ProcessEnv][] = [
          ['provision', node(MAIN, 'plan', PLAYBOOK, '-i', inv.get(n) as string, '--json', '--forks', String(n)), process.env],
          ['floor', node(FLOOR, floorHosts.get(n) as string, floorScriptFile), process.env],
        ];
        if (opts.ansible && (n < maxN || round <= opts.ansibleRounds)) cmds.push(['ansible', checkArgv(ansibleInv.get(n) as string), ansibleEnv()]);
        for (const [tool, argv, env] of cmds) {
          const s = await measure(argv, { env, cwd: ROOT, stdoutFile: outFile, hostCgroups: hostsCg });
          checkOutput(tool, n, s, outFile);
          add(`${tool}/${n}`, s);
          console.error(`[bench] round ${round} N=${n} ${tool}: wall ${s.wallS.toFixed(2)} s, CPU ${s.cpuS.toFixed(2)} s (${s.cpuSource}), RSS ${s.peakRssMiB.toFixed(0)} MiB, host CPU ${s.hostCpuS?.toFixed(2) ?? '-'} s, load ${loadavg()[0]?.toFixed(1)}`);
        }
      }
    }
    rmSync(outFile, { force: true });

    const rows: Row[] = [];
    for (const n of opts.sizes) {
      for (const tool of ['provision', 'floor', 'ansible'] as const) {
        const s = samples.get(`${tool}/${n}`);
        if (s) rows.push(row(n, tool, s, tool === 'provision' ? (execs.get(`provision/${n}`) ?? 0) : tool === 'floor' ? 1 : ansibleExecs));
      }
    }
    const printed = table(rows);
    console.log(printed);
    if (opts.ansible && opts.ansibleRounds < opts.rounds) console.log(`(ansible at N=${maxN}: ${opts.ansibleRounds} round(s), everything else ${opts.rounds})`);
    writeFileSync(
      `${RESULTS}latest.json`,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version, loadavgAtEnd: loadavg() },
          ansible: opts.ansible ? ansibleVersion() : null,
          playbook: 'bench/playbooks/service20.yml',
          method: 'interleaved rounds, medians; CPU = cgroup v2 usage of the command and all its descendants; peak RSS = largest single process (GNU time %M); host CPU = cgroup usage of the test hosts during the run',
          rows,
        },
        null,
        2,
      ) + '\n',
    );
    console.error(`[bench] results: ${RESULTS}latest.json`);
  } finally {
    if (fleet && !opts.keepHosts) {
      console.error('[bench] shutting the hosts down (--keep-hosts keeps them)');
      await stopFleet();
    }
    rmSync(LOCK, { force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
