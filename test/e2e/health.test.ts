/**
 * Health after apply on real hosts: the same service (python3's http.server behind a small bash
 * start script) healthy on one host and broken on the other (wrong port, a failing readiness
 * command, error lines in the journal and in its log file). Apply fails exactly the broken host
 * with the evidence; `plan --check-health` reports the same read-only; `verify: restart` passes
 * with restart policy always and reports "did not come back" with never.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HealthResult } from '../../src/engine/health.ts';
import type { PlanDocument } from '../../src/engine/plan-document.ts';
import { bootHosts, harnessPrerequisites, hostExec, shutdownHosts, type TestFleet } from '../harness/hosts.ts';
import { fleetInventory } from '../harness/inventory.ts';
import { provision } from './cli.ts';

const PLAYBOOK = `# yaml-language-server: $schema=../schemas/playbook.schema.json
- name: health
  hosts: all
  resources:
    - kind: directory
      path: /opt/hc
    - kind: directory
      path: /opt/hc/www
    - kind: directory
      path: /var/log/hc
    - kind: file
      path: /opt/hc/www/health.txt
      content: "status: ok\\n"
    - kind: file
      path: /opt/hc/ready.sh
      mode: "0755"
      content: |
        #!/bin/sh
        [ -e /run/hc-ready ] && exit 0
        echo "not ready: /run/hc-ready is missing" >&2
        exit 3
    - kind: file
      path: /opt/hc/app.sh
      mode: "0755"
      content: |
        #!/bin/bash
        port=8080
        if [ "$1" = broken ]; then
          echo "ERROR: cannot load /opt/hc/app.conf; falling back to port 8081"
          echo "$(date -Is) ERROR: cannot load /opt/hc/app.conf" >>/var/log/hc/app.log
          rm -f /run/hc-ready
          port=8081
        else
          echo "$(date -Is) started" >>/var/log/hc/app.log
          touch /run/hc-ready
        fi
        exec python3 -m http.server "$port" --bind 127.0.0.1 --directory /opt/hc/www
    - kind: service
      name: hc-web
      command: [/opt/hc/app.sh, "{{mode}}"]
      restart: { policy: "{{policy}}" }
      autostart: { method: "{{method}}" }
      reads: [/opt/hc/app.sh]
      verify: restart
      health:
        - name: port
          tcp: { port: 8080 }
          retries: "{{retries}}"
          interval: 1
        - name: page
          http: { url: "http://127.0.0.1:8080/health.txt", status: 200, contains: "status: ok" }
          retries: "{{retries}}"
          interval: 1
        - name: ready
          command: { argv: [/opt/hc/ready.sh] }
          retries: "{{retries}}"
          interval: 1
        - name: journal
          log: { source: journal, pattern: "ERROR", max_matches: 0, window: 5m }
        - name: logfile
          log: { source: file, path: /var/log/hc/app.log, pattern: "ERROR", max_matches: 0 }
`;

interface Vars { mode: 'good' | 'broken'; policy: 'always' | 'never'; retries: number; method?: 'systemd' | 'supervisor' | 'sysv' | 'cron-reboot' }

let fleet: TestFleet;
let dir: string;
let play: string;

function inventory(name: string, vars: readonly Vars[]): string {
  const path = join(dir, name);
  writeFileSync(path, fleetInventory(fleet, { hostVars: (i) => ({ method: 'systemd', ...vars[i] }) }));
  return path;
}

async function sh(i: number, script: string): Promise<string> {
  return (await hostExec(i, ['sh', '-c', script])).stdout.trim();
}

function healthOf(doc: PlanDocument, host: number): Map<string, HealthResult> {
  const h = doc.hosts.find((x) => x.host === fleet.hosts[host - 1]?.name);
  return new Map((h?.health ?? []).map((r) => [r.check, r]));
}

describe('health after apply on real hosts', { timeout: 900_000 }, () => {
  const good: Vars = { mode: 'good', policy: 'always', retries: 5 };
  const broken: Vars = { mode: 'broken', policy: 'always', retries: 1 };
  let inv: string;

  before(async () => {
    const missing = harnessPrerequisites();
    assert.deepEqual(missing, [], `the e2e suite needs: ${missing.join(', ')}`);
    fleet = await bootHosts(2);
    dir = mkdtempSync(join(tmpdir(), 'provision-health-e2e-'));
    play = join(dir, 'health.yml');
    writeFileSync(play, PLAYBOOK);
    inv = inventory('inventory.yml', [good, broken]);
    for (const i of [1, 2]) {
      // The checks must work on a minimal Debian: bash, coreutils timeout, no curl or wget.
      assert.equal(await sh(i, 'for t in curl wget; do command -v $t; done; true'), '', 'the hosts have no HTTP client: the bash /dev/tcp client is tested');
      assert.equal(await sh(i, 'for t in python3 bash timeout journalctl; do command -v $t >/dev/null && echo $t; done'), 'python3\nbash\ntimeout\njournalctl');
    }
  });

  after(async () => {
    await shutdownHosts();
  });

  test('apply: the healthy host passes every check and its restart verification; the broken host fails with the evidence', async () => {
    const r = await provision(['apply', play, '-i', inv, '--yes']);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 1, out);
    const [h1, h2] = fleet.hosts.map((h) => h.name);
    assert.match(r.stdout, new RegExp(`host ${h1}: \\d+ resource\\(s\\) changed and verified: .*\\n {2}✓ health 6 of 6 checks passed`), out);
    // systemd counted the restart after verify's kill -9.
    assert.equal(await sh(1, 'systemctl show -p NRestarts --value hc-web.service'), '1');
    assert.equal(await sh(1, 'systemctl is-active hc-web.service'), 'active');

    assert.match(r.stdout, new RegExp(`${h2} \\(service:hc-web\\): 5 health checks failed`), out);
    const evidence = [
      /✗ health service:hc-web port: tcp 127\.0\.0\.1:8080\n {6}127\.0\.0\.1:8080: connect: Connection refused \(2 attempts\)/,
      /✗ health service:hc-web page: GET http:\/\/127\.0\.0\.1:8080\/health\.txt expecting 200 and "status: ok"\n {6}no HTTP response from http:\/\/127\.0\.0\.1:8080\/health\.txt \(bash\): connect: Connection refused/,
      /✗ health service:hc-web ready: \["\/opt\/hc\/ready\.sh"\] exits 0\n {6}exit code 3 \(expected 0\); stderr: not ready: \/run\/hc-ready is missing/,
      /✗ health service:hc-web journal: at most 0 lines matching \/ERROR\/ in journal -u hc-web\.service \(window 5m\)\n {6}1 matching lines in the journal \(-u hc-web\.service\) of the last 300s \(at most 0 allowed\):\n {8}\S+ \S+ app\.sh\[\d+\]: ERROR: cannot load \/opt\/hc\/app\.conf; falling back to port 8081/,
      /✗ health service:hc-web logfile: at most 0 lines matching \/ERROR\/ in \/var\/log\/hc\/app\.log \(window 5m\)\n {6}1 matching lines in .*\/var\/log\/hc\/app\.log.* \(at most 0 allowed\):\n {8}\S+ ERROR: cannot load \/opt\/hc\/app\.conf/,
    ];
    for (const e of evidence) assert.match(r.stdout, e, r.stdout);
    // The restart is verified after the checks: on the broken host it still passes (policy always).
    assert.match(r.stdout, /✓ health 1 of 6 checks passed/);
  });

  test('plan --check-health: read-only, exit 1, the same evidence in the JSON; without the flag the plan is clean', async () => {
    const before1 = await sh(1, 'systemctl show -p MainPID --value hc-web.service');
    const r = await provision(['plan', '--check-health', '--json', play, '-i', inv]);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as PlanDocument;
    const one = healthOf(doc, 1);
    assert.deepEqual([...one.values()].map((x) => [x.check, x.ok]), [['port', true], ['page', true], ['ready', true], ['journal', true], ['logfile', true]], 'no restart verification in a plan');
    assert.equal(one.get('page')?.evidence, 'HTTP 200 (bash)');
    const two = healthOf(doc, 2);
    assert.deepEqual([...two.values()].map((x) => [x.check, x.ok]), [['port', false], ['page', false], ['ready', false], ['journal', false], ['logfile', false]]);
    assert.equal(two.get('ready')?.evidence, 'exit code 3 (expected 0); stderr: not ready: /run/hc-ready is missing');
    // Two lines when the restart verification of apply (policy always) ran the broken start script again.
    assert.match(two.get('logfile')?.evidence ?? '', /^[12] matching lines in the last 1000 lines of \/var\/log\/hc\/app\.log \(modified within 300s\) \(at most 0 allowed\):\n\S+ ERROR: cannot load/);
    const h2 = doc.hosts.find((h) => h.host === fleet.hosts[1]?.name);
    assert.equal(h2?.error?.phase, 'health');
    assert.equal(doc.summary.hosts_failed, 1);
    assert.equal(await sh(1, 'systemctl show -p MainPID --value hc-web.service'), before1, 'plan killed nothing');
    const plain = await provision(['plan', '--detailed-exitcode', play, '-i', inv]);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  });

  test('verify: restart with policy never reports that the killed process did not come back', async () => {
    const never = inventory('inventory-never.yml', [{ ...good, policy: 'never' }, good]);
    const r = await provision(['apply', play, '-i', never, '--yes', '--limit', fleet.hosts[0]?.name ?? '']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /✗ health service:hc-web restart: kill -9 of the main process; back within 11s \(restart delay 1s \+ 10s\)\n {6}main process \d+ killed; did not come back within 11s/, r.stdout);
    assert.match(r.stdout, /1 health check failed: service:hc-web restart/);
    assert.match(r.stdout, /✓ health 5 of 6 checks passed/);
    assert.equal(await sh(1, 'systemctl is-active hc-web.service || true'), 'failed');
    // The next apply with policy always starts it again and verifies the restart.
    const back = await provision(['apply', play, '-i', inv, '--yes', '--limit', fleet.hosts[0]?.name ?? '']);
    assert.equal(back.code, 0, back.stdout + back.stderr);
    assert.match(back.stdout, /✓ health 6 of 6 checks passed/);
  });

  test('fixing the broken host makes every check pass', async () => {
    const fixed = inventory('inventory-fixed.yml', [good, { ...broken, mode: 'good' }]);
    // Lines from the broken run are older than apply (file) but still in the journal's window.
    const r = await provision(['apply', play, '-i', fixed, '--yes', '--limit', fleet.hosts[1]?.name ?? '']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /✗ health service:hc-web journal/);
    assert.match(r.stdout, /✓ health 5 of 6 checks passed/, 'the file check counts only lines appended since apply started');
    await sh(2, 'journalctl --rotate >/dev/null 2>&1; journalctl --vacuum-time=1s >/dev/null 2>&1; true');
    const plan = await provision(['plan', '--check-health', play, '-i', fixed, '--limit', fleet.hosts[1]?.name ?? '']);
    assert.equal(plan.code, 1, 'the file still holds the old error within its window');
    assert.match(plan.stdout, /✗ health service:hc-web logfile/);
    assert.doesNotMatch(plan.stdout, /✗ health service:hc-web journal/);
  });

  test('verify: restart under supervisor, sysv and cron-reboot: back with always, reported with never', async () => {
    const rounds: [Vars['method'], Vars['method']][] = [['supervisor', 'sysv'], ['cron-reboot', 'cron-reboot']];
    for (const [m1, m2] of rounds) {
      const always = inventory(`inventory-${m1}-${m2}.yml`, [{ ...good, method: m1 }, { ...good, method: m2 }]);
      const ok = await provision(['apply', play, '-i', always, '--yes']);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.equal(ok.stdout.match(/✓ health 6 of 6 checks passed/g)?.length, 2, ok.stdout);
      const never = inventory(`inventory-${m1}-${m2}-never.yml`, [{ ...good, method: m1, policy: 'never' }, { ...good, method: m2, policy: 'never' }]);
      const down = await provision(['apply', play, '-i', never, '--yes']);
      assert.equal(down.code, 1, down.stdout + down.stderr);
      assert.equal(down.stdout.match(/✗ health service:hc-web restart: .*\n {6}main process \d+ killed; did not come back within 11s\n/g)?.length, 2, `${m1}/${m2}: ${down.stdout}`);
    }
  });
});
