/** The batched PowerShell script and its framed output, and the engine's Windows read path. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PowerShellCommand } from '../../src/core/types.ts';
import {
  buildPowerShellBatch,
  decodePowerShellBatchSteps,
  formatPowerShellBatchOutput,
  parsePowerShellBatchOutput,
  powerShellBatchNonce,
} from '../../src/engine/powershell-batch.ts';
import { powershellSyntaxProblems } from '../support/powershell-syntax.ts';

const NONCE = '@@provision-0123456789abcdef01234567';
const read: PowerShellCommand = { label: 'read thing', input: { name: "it's $(evil)\n" }, powershell: { name: 'thing/read', text: '$x = $in.name\nreturn [ordered]@{ name = $x }' } };
const write: PowerShellCommand = { label: 'write thing', input: [1, 'two'], powershell: { name: 'thing/write', text: 'Set-Thing -Value $in | Out-Null' } };

describe('buildPowerShellBatch', () => {
  test('defines each script once, carries inputs as data, and parses', async () => {
    const script = buildPowerShellBatch([{ id: 'a', command: read }, { id: 'b', command: read }, { id: 'c', command: write }], { stopOnFailure: false }, NONCE);
    assert.equal(script.split("$__fn['thing/read'] = {").length, 2, 'thing/read defined once');
    assert.ok(!script.includes('evil'), 'input values never appear in script text');
    assert.deepEqual(decodePowerShellBatchSteps(script), [
      { id: 'a', fn: 'thing/read', input: { name: "it's $(evil)\n" } },
      { id: 'b', fn: 'thing/read', input: { name: "it's $(evil)\n" } },
      { id: 'c', fn: 'thing/write', input: [1, 'two'] },
    ]);
    assert.equal(powerShellBatchNonce(script), NONCE);
    assert.match(script, /^\$__stop = \$false$/m);
    assert.deepEqual(await powershellSyntaxProblems(script), []);
  });

  test('apply batches stop at the first failure', () => {
    assert.match(buildPowerShellBatch([{ id: 'a', command: write }], { stopOnFailure: true }, NONCE), /^\$__stop = \$true$/m);
  });

  test('long inputs are split over lines', async () => {
    const big: PowerShellCommand = { ...write, input: 'x'.repeat(50_000) };
    const script = buildPowerShellBatch([{ id: 'a', command: big }], { stopOnFailure: true }, NONCE);
    assert.ok(Math.max(...script.split('\n').map((l) => l.length)) < 5000);
    assert.deepEqual(decodePowerShellBatchSteps(script)[0]?.input, 'x'.repeat(50_000));
    assert.deepEqual(await powershellSyntaxProblems(script), []);
  });

  test('refuses bad step ids, bad script names and two scripts under one name', () => {
    assert.throws(() => buildPowerShellBatch([{ id: 'a b', command: read }], { stopOnFailure: false }, NONCE), /bad step id/);
    assert.throws(() => buildPowerShellBatch([{ id: 'a', command: { ...read, powershell: { name: "x']; evil", text: '' } } }], { stopOnFailure: false }, NONCE), /bad script name/);
    assert.throws(() => buildPowerShellBatch([{ id: 'a', command: read }, { id: 'b', command: { ...read, powershell: { name: 'thing/read', text: 'other' } } }], { stopOnFailure: false }, NONCE), /two different scripts/);
  });
});

describe('parsePowerShellBatchOutput', () => {
  test('reads framed results and ignores anything else a step printed, with CRLF line ends', () => {
    const framed = formatPowerShellBatchOutput([
      { id: 'a', code: 0, stdout: '{"name":"ü"}' },
      { id: 'b', code: 1, stdout: '', stderr: 'Access is denied. (script thing/write, line 3)' },
    ], NONCE);
    const out = Buffer.from(`noise from a step\r\n${framed.replace(/\n/g, '\r\n')}WARNING: more noise\r\n`);
    const results = parsePowerShellBatchOutput(out, NONCE);
    assert.equal(results.get('a')?.stdout.toString('utf8'), '{"name":"ü"}');
    assert.equal(results.get('a')?.code, 0);
    assert.equal(results.get('b')?.code, 1);
    assert.match(results.get('b')?.stderr.toString('utf8') ?? '', /Access is denied/);
    assert.equal(results.size, 2);
  });

  test('a result line under another nonce is not ours', () => {
    const other = formatPowerShellBatchOutput([{ id: 'a', code: 0, stdout: 'x' }], '@@provision-ffffffffffffffffffffffff');
    assert.equal(parsePowerShellBatchOutput(Buffer.from(other), NONCE).size, 0);
  });

  test('a corrupt result line is an error, not a silent gap', () => {
    assert.throws(() => parsePowerShellBatchOutput(Buffer.from(`${NONCE} R bm90IGpzb24=\n`), NONCE), /unreadable result line/);
    const noCode = Buffer.from(JSON.stringify({ id: 'a', stdout: '' })).toString('base64');
    assert.throws(() => parsePowerShellBatchOutput(Buffer.from(`${NONCE} R ${noCode}\n`), NONCE), /lacks/);
  });
});
