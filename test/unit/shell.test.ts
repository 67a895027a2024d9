/** The audited quoting function and the batched script: adversarial values arrive byte-exact. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { shQuote, UnquotableValueError } from '../../src/core/shell.ts';
import { buildBatchScript, parseBatchOutput, newNonce } from '../../src/engine/remote-script.ts';
import { LocalTransport } from '../../src/transport/local.ts';

const ADVERSARIAL = [
  '',
  ' ',
  "it's",
  "'''",
  '"double" quotes',
  '$(touch /tmp/provision-pwned)',
  '`touch /tmp/provision-pwned`',
  '${HOME} $HOME $$ $? $!',
  'a\nb\r\nc',
  '\t tabs and trailing space ',
  '-n',
  '--',
  '\\ backslash \\\\',
  '; rm -rf / #',
  '| & && || > < >> <<EOF',
  '* ? [a-z] ~root',
  'ünïcødé 日本語 🚀',
  '\u0001\u0007\u001b[31mred',
  "'; echo pwned; '",
  '%s %n %%',
];

async function echoThrough(values: readonly string[]): Promise<string[]> {
  const t = new LocalTransport({ host: 'local', become: null });
  const nonce = newNonce();
  const steps = values.map((v, i) => ({ id: `s${i}`, command: { argv: ['printf', '%s', v], label: 'echo' } }));
  const r = await t.runScript(buildBatchScript(steps, { stopOnFailure: false }, nonce));
  assert.equal(r.code, 0, r.stderr.toString());
  const out = parseBatchOutput(r.stdout, nonce);
  return values.map((_, i) => out.get(`s${i}`)?.stdout.toString('utf8') ?? '<missing>');
}

describe('shQuote', () => {
  test('safe words stay readable; everything else is single-quoted', () => {
    assert.equal(shQuote('/etc/app.conf'), '/etc/app.conf');
    assert.equal(shQuote("it's"), `'it'\\''s'`);
    assert.equal(shQuote(''), "''");
  });

  test('refuses what argv cannot carry byte-exact', () => {
    assert.throws(() => shQuote('a\0b'), UnquotableValueError);
    assert.throws(() => shQuote('\ud800'), UnquotableValueError);
  });

  test('every adversarial value reaches a real sh byte-exact', async () => {
    assert.deepEqual(await echoThrough(ADVERSARIAL), ADVERSARIAL);
  });
});

describe('batched remote script', () => {
  test('stdin travels as data and results are framed by length', async () => {
    const t = new LocalTransport({ host: 'local', become: null });
    const nonce = newNonce();
    const payload = Buffer.from(`${ADVERSARIAL.join('\n')}\n@@provision-fake 0 0 0 0\nEOF\n__EOF_x\n`.repeat(50));
    const script = buildBatchScript(
      [
        { id: 'a', command: { argv: ['cat'], stdin: payload, label: 'cat' } },
        { id: 'b', command: { argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'], label: 'fail' } },
        { id: 'c', command: { argv: ['printf', 'no newline'], label: 'printf' } },
      ],
      { stopOnFailure: false },
      nonce,
    );
    assert.ok(!script.includes('provision-pwned'), 'payload must not appear as text in the script');
    const r = await t.runScript(script);
    const out = parseBatchOutput(r.stdout, nonce);
    assert.deepEqual(out.get('a')?.stdout, payload);
    assert.equal(out.get('b')?.code, 3);
    assert.equal(out.get('b')?.stdout.toString(), 'out\n');
    assert.equal(out.get('b')?.stderr.toString(), 'err\n');
    assert.equal(out.get('c')?.stdout.toString(), 'no newline');
    assert.equal(t.execCount, 1);
  });

  test('stopOnFailure runs nothing after the first failing step', async () => {
    const t = new LocalTransport({ host: 'local', become: null });
    const nonce = newNonce();
    const steps = [
      { id: 'one', command: { argv: ['true'], label: 'ok' } },
      { id: 'two', command: { argv: ['false'], label: 'fails' } },
      { id: 'three', command: { argv: ['echo', 'never'], label: 'never' } },
    ];
    const out = parseBatchOutput((await t.runScript(buildBatchScript(steps, { stopOnFailure: true }, nonce))).stdout, nonce);
    assert.deepEqual([...out.keys()], ['one', 'two']);
    assert.equal(out.get('two')?.code, 1);
  });

  test('a failing last step is in its frame; the script itself exits 0 (it is not a broken shell)', async () => {
    const t = new LocalTransport({ host: 'local', become: null });
    const nonce = newNonce();
    for (const stopOnFailure of [false, true]) {
      const r = await t.runScript(buildBatchScript([{ id: 'one', command: { argv: ['true'], label: 'ok' } }, { id: 'last', command: { argv: ['sh', '-c', 'exit 7'], label: 'fails' } }], { stopOnFailure }, nonce));
      assert.equal(r.code, 0);
      assert.equal(parseBatchOutput(r.stdout, nonce).get('last')?.code, 7);
    }
  });

  test('a step cannot read the rest of the script from stdin', async () => {
    const t = new LocalTransport({ host: 'local', become: null });
    const nonce = newNonce();
    const steps = [
      { id: 'reader', command: { argv: ['cat'], label: 'reads stdin' } },
      { id: 'after', command: { argv: ['echo', 'still here'], label: 'after' } },
    ];
    const out = parseBatchOutput((await t.runScript(buildBatchScript(steps, { stopOnFailure: false }, nonce))).stdout, nonce);
    assert.equal(out.get('reader')?.stdout.toString(), '');
    assert.equal(out.get('after')?.stdout.toString(), 'still here\n');
  });

  test('output that is not a frame is an error, not silently accepted', () => {
    assert.throws(() => parseBatchOutput(Buffer.from('Welcome to host!\n'), '@@provision-x'), /unexpected output/);
  });
});
