/**
 * The drift examples in docs/drift/ (systemd timer, GitHub Actions, Kubernetes CronJob) parse,
 * have the shape their platform needs, and call provision only with flags the CLI really has
 * (read from its own --help).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { provision } from '../e2e/cli.ts';

const DIR = 'docs/drift';
const SUBCOMMANDS = ['drift', 'plan', 'report merge'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

interface Invocation {
  readonly file: string;
  readonly subcommand: Subcommand;
  readonly args: readonly string[];
}

/** Every command line `provision <subcommand> ...` (or `npm run -s provision -- ...`) in a file, continuation lines joined, shell quotes dropped. */
function invocations(file: string): Invocation[] {
  // GitHub expressions (${{ matrix.shard }}) hold spaces; they stand for one word.
  const text = readFileSync(join(DIR, file), 'utf8').replace(/\\\n\s*/g, ' ').replace(/\$\{\{[^}]*\}\}/g, 'EXPR');
  const found: Invocation[] = [];
  for (const m of text.matchAll(/(?:^[ \t]*|npm run -s )provision(?: --)? (drift|plan|report merge)(?=[ \t])([^\n|;&]*)/gm)) {
    const args = (m[2] ?? '').trim().split(/\s+/).filter(Boolean).map((a) => a.replace(/["']/g, ''));
    found.push({ file, subcommand: m[1] as Subcommand, args });
  }
  return found;
}

function yamlDocs(file: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  for (const d of docs) assert.deepEqual(d.errors.map((e) => e.message), [], `${file} is valid YAML`);
  return docs.map((d) => d.toJS() as Record<string, unknown>);
}

/** systemd unit file: section -> key -> values. */
function unit(file: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  readFileSync(join(DIR, file), 'utf8').split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return;
    const section = /^\[([A-Za-z]+)\]$/.exec(t);
    if (section) {
      current = new Map();
      sections.set(section[1] as string, current);
      return;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(t);
    assert.ok(kv && current, `${file}:${i + 1}: "${t}" is neither a [Section] nor Key=value inside one`);
    current.set(kv[1] as string, [...(current.get(kv[1] as string) ?? []), kv[2] as string]);
  });
  return sections;
}

const get = (v: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), v);

describe('drift examples in docs/drift', () => {
  const flags = new Map<Subcommand, Set<string>>();

  before(async () => {
    for (const sub of SUBCOMMANDS) {
      const help = await provision([...sub.split(' '), '--help']);
      assert.equal(help.code, 0, help.stderr);
      flags.set(sub, new Set([...help.stdout.matchAll(/(?:^|[\s,])(--?[a-z][a-z-]*)/gm)].map((m) => m[1] as string)));
    }
  });

  test('the examples exist', () => {
    assert.deepEqual(readdirSync(DIR).sort(), ['README.md', 'drift-nightly.sh', 'github-actions-drift.yml', 'kubernetes-cronjob.yml', 'provision-drift.service', 'provision-drift.timer']);
  });

  test('every provision command in them uses real flags and writes a report', () => {
    const all = readdirSync(DIR).filter((f) => f !== 'README.md').flatMap(invocations);
    assert.deepEqual([...new Set(all.map((i) => i.file))].sort(), ['drift-nightly.sh', 'github-actions-drift.yml', 'kubernetes-cronjob.yml']);
    for (const inv of all) {
      const known = flags.get(inv.subcommand) ?? new Set();
      for (const a of inv.args.filter((x) => x.startsWith('-'))) {
        const flag = a.split('=')[0] as string;
        assert.ok(known.has(flag), `${inv.file}: provision ${inv.subcommand} has no ${flag} (it has ${[...known].join(' ')})`);
      }
      for (const [i, a] of inv.args.entries()) {
        if (a === '--report') assert.match(inv.args[i + 1] ?? '', /^(json|junit|html)=\S+$/, `${inv.file}: --report FORMAT=FILE`);
        if (a === '--shard') assert.match(inv.args[i + 1] ?? '', /^\S+\/\S+$/, `${inv.file}: --shard K/N`);
      }
      assert.ok(inv.args.includes('--report'), `${inv.file}: provision ${inv.subcommand} keeps a report`);
    }
  });

  test('the nightly script is valid sh', () => {
    execFileSync('sh', ['-n', join(DIR, 'drift-nightly.sh')]);
  });

  test('the systemd timer runs the oneshot service nightly (systemd-analyze reads the calendar)', () => {
    const service = unit('provision-drift.service');
    const timer = unit('provision-drift.timer');
    assert.deepEqual(service.get('Service')?.get('Type'), ['oneshot']);
    assert.match(service.get('Service')?.get('ExecStart')?.[0] ?? '', /\/drift-nightly\.sh$/);
    assert.deepEqual(timer.get('Timer')?.get('Unit'), ['provision-drift.service']);
    assert.deepEqual(timer.get('Install')?.get('WantedBy'), ['timers.target']);
    const calendar = timer.get('Timer')?.get('OnCalendar')?.[0] ?? '';
    const normalized = execFileSync('systemd-analyze', ['calendar', calendar], { encoding: 'utf8' });
    assert.match(normalized, /Normalized form: \*-\*-\* 03:15:00/);
  });

  test('the GitHub Actions workflow: a schedule, a matrix over shards, and a merge job keeping the reports', () => {
    const [wf] = yamlDocs('github-actions-drift.yml');
    assert.match(String(get(wf, 'on', 'schedule', 0, 'cron')), /^\S+ \S+ \S+ \S+ \S+$/);
    const shards = get(wf, 'jobs', 'drift', 'strategy', 'matrix', 'shard') as number[];
    assert.deepEqual(shards, Array.from({ length: Number(get(wf, 'env', 'SHARDS')) }, (_, i) => i + 1), 'the matrix covers shards 1..SHARDS');
    assert.equal(get(wf, 'jobs', 'report', 'needs'), 'drift');
    assert.equal(get(wf, 'jobs', 'report', 'if'), 'always()');
    const steps = JSON.stringify(get(wf, 'jobs', 'report', 'steps'));
    assert.match(steps, /actions\/download-artifact/);
    assert.match(steps, /provision -- report merge/);
    assert.match(steps, /actions\/upload-artifact/);
  });

  test('the Kubernetes CronJob: an Indexed Job whose completions match the shard count', () => {
    const [drift, merge] = yamlDocs('kubernetes-cronjob.yml');
    for (const d of [drift, merge]) {
      assert.equal(get(d, 'apiVersion'), 'batch/v1');
      assert.equal(get(d, 'kind'), 'CronJob');
      assert.match(String(get(d, 'spec', 'schedule')), /^\S+ \S+ \S+ \S+ \S+$/);
    }
    const job = get(drift, 'spec', 'jobTemplate', 'spec');
    assert.equal(get(job, 'completionMode'), 'Indexed');
    const container = get(job, 'template', 'spec', 'containers', 0);
    const shards = (get(container, 'env') as { name: string; value: string }[]).find((e) => e.name === 'SHARDS')?.value;
    assert.equal(Number(shards), get(job, 'completions'));
    assert.match(String(get(container, 'args', 0)), /shard=\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)[\s\S]*--shard "\$shard\/\$SHARDS"/);
    assert.match(String(get(merge, 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', 0, 'args', 0)), /provision report merge/);
  });
});
