/**
 * The loopback WS-Management server is strict like a real one: raw envelopes that break the
 * documented rules get the faults a Windows host would send. (The client tests rely on this.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildEnvelope } from '../../src/transport/winrm/envelope.ts';
import { WsmanFault } from '../../src/transport/winrm/fault.ts';
import { commandBody, createShellBody, readCommandId, readReceive, readShellId, receiveBody, sendBody, signalBody } from '../../src/transport/winrm/messages.ts';
import { ACTION, CMD_RESOURCE_URI } from '../../src/transport/winrm/namespaces.ts';
import { parseReply, type Reply } from '../../src/transport/winrm/reply.ts';
import type { XmlNode } from '../../src/transport/winrm/xml.ts';
import { ok, PASSWORD, startFixture, USER, type Fixture } from '../winrm-server/fixture.ts';

let plain: Fixture;
let strict: Fixture;
before(async () => {
  plain = await startFixture((s) => ok(`out:${s}`, 'err', 4), { scheme: 'http', requireEncryption: false, chunkBytes: 3, chunksPerReceive: 2 });
  strict = await startFixture(() => ok(''), { scheme: 'http' });
});
after(async () => {
  await Promise.all([plain.close(), strict.close()]);
});

const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

async function post(f: Fixture, xml: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${f.server.port}/wsman`, {
    method: 'POST',
    headers: { Authorization: basic, 'Content-Type': 'application/soap+xml;charset=UTF-8', ...headers },
    body: xml,
  });
  return { status: res.status, text: await res.text() };
}

function envelope(action: string, o: { shellId?: string; body?: XmlNode; options?: Record<string, string>; resourceUri?: string } = {}): { xml: string; messageId: string } {
  return buildEnvelope({
    to: 'http://127.0.0.1/wsman',
    action,
    resourceUri: o.resourceUri ?? CMD_RESOURCE_URI,
    operationTimeout: 'PT5S',
    selectors: o.shellId ? { ShellId: o.shellId } : undefined,
    options: o.options,
    body: o.body,
  });
}

async function call(action: string, o: Parameters<typeof envelope>[1] = {}): Promise<Reply> {
  const { xml, messageId } = envelope(action, o);
  const r = await post(plain, xml);
  return parseReply(r.text, messageId);
}

async function fault(xml: string, messageId: string): Promise<WsmanFault> {
  const r = await post(plain, xml);
  assert.equal(r.status, 500, r.text);
  try {
    parseReply(r.text, messageId);
  } catch (err) {
    assert.ok(err instanceof WsmanFault, String(err));
    return err;
  }
  return assert.fail('expected a fault');
}

async function shell(): Promise<string> {
  return readShellId(await call(ACTION.create, { body: createShellBody() }));
}

describe('protocol flow', () => {
  test('Create, Command, Send, Receive (Running before Done, chunked), Signal, Delete; RelatesTo echoed', async () => {
    const shellId = await shell();
    const commandId = readCommandId(await call(ACTION.command, { shellId, body: commandBody('cmd.exe', ['/c', 'x']) }));
    await call(ACTION.send, { shellId, body: sendBody(commandId, Buffer.from('ignored'), true) });
    const states: boolean[] = [];
    let out = Buffer.alloc(0);
    let exit: number | undefined;
    for (let i = 0; i < 50 && exit === undefined; i++) {
      const r = readReceive(await call(ACTION.receive, { shellId, body: receiveBody(commandId) }), commandId);
      states.push(r.done);
      out = Buffer.concat([out, ...r.stdout]);
      exit = r.exitCode;
    }
    assert.equal(states[0], false, 'the first Receive answers Running');
    assert.equal(states.at(-1), true);
    assert.equal(exit, 9009, 'cmd.exe is not the bootstrap: the scripted host answers like cmd.exe for an unknown program');
    await call(ACTION.signal, { shellId, body: signalBody(commandId) });
    await call(ACTION.delete, { shellId });
  });

  test('a command line longer than cmd.exe allows fails like a real host (2147942606)', async () => {
    const shellId = await shell();
    const commandId = readCommandId(await call(ACTION.command, { shellId, body: commandBody('powershell.exe', ['-EncodedCommand', 'A'.repeat(9000)]) }));
    await assert.rejects(call(ACTION.receive, { shellId, body: receiveBody(commandId) }), (e: WsmanFault) => e.wsmanCode === 2147942606);
  });

  test('Receive after the command finished and was received is refused', async () => {
    const shellId = await shell();
    const commandId = readCommandId(await call(ACTION.command, { shellId, body: commandBody('x', []) }));
    for (let i = 0; i < 50; i++) if (readReceive(await call(ACTION.receive, { shellId, body: receiveBody(commandId) }), commandId).done) break;
    await assert.rejects(call(ACTION.receive, { shellId, body: receiveBody(commandId) }), (e: WsmanFault) => e.subcode === 'w:InvalidParameter');
  });
});

describe('rejections', () => {
  test('a header without mustUnderstand="true" where it is required', async () => {
    const { xml, messageId } = envelope(ACTION.create, { body: createShellBody() });
    const broken = xml.replace(/<a:Action s:mustUnderstand="true">/, '<a:Action>');
    assert.notEqual(broken, xml);
    const f = await fault(broken, messageId);
    assert.equal(f.subcode, 'w:InvalidHeader');
    assert.match(f.reason, /Action/);
  });

  test('an unknown header marked mustUnderstand="true"', async () => {
    const { xml, messageId } = envelope(ACTION.create, { body: createShellBody() });
    const f = await fault(xml.replace('</s:Header>', '<w:Bogus s:mustUnderstand="true">1</w:Bogus></s:Header>'), messageId);
    assert.equal(f.code, 's:MustUnderstand');
  });

  test('a missing ResourceURI and a wrong one', async () => {
    const { xml, messageId } = envelope(ACTION.create, { body: createShellBody() });
    assert.equal((await fault(xml.replace(/<w:ResourceURI[^>]*>[^<]*<\/w:ResourceURI>/, ''), messageId)).subcode, 'w:InvalidHeader');
    const wrong = envelope(ACTION.create, { body: createShellBody(), resourceUri: 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell' });
    const f = await fault(wrong.xml, wrong.messageId);
    assert.equal(f.subcode, 'w:DestinationUnreachable');
  });

  test('a wrong action URI', async () => {
    const { xml, messageId } = envelope(`${ACTION.create}X`, { body: createShellBody() });
    assert.equal((await fault(xml, messageId)).subcode, 'a:ActionNotSupported');
  });

  test('an unknown ShellId (2150858843) and an unknown CommandId', async () => {
    await assert.rejects(call(ACTION.receive, { shellId: 'NO-SUCH-SHELL', body: receiveBody('X') }), (e: WsmanFault) => e.wsmanCode === 2150858843);
    const shellId = await shell();
    await assert.rejects(call(ACTION.receive, { shellId, body: receiveBody('NO-SUCH-COMMAND') }), (e: WsmanFault) => e.subcode === 'w:InvalidParameter');
    await assert.rejects(call(ACTION.signal, { shellId, body: signalBody('NO-SUCH-COMMAND') }), (e: WsmanFault) => e.subcode === 'w:InvalidParameter');
  });

  test('an envelope larger than MaxEnvelopeSizekb', async () => {
    const shellId = await shell();
    const commandId = readCommandId(await call(ACTION.command, { shellId, body: commandBody('x', []) }));
    const { xml, messageId } = envelope(ACTION.send, { shellId, body: sendBody(commandId, Buffer.alloc(150_000, 1), true) });
    assert.equal((await fault(xml, messageId)).subcode, 'w:EncodingLimit');
  });

  test('stdin that is not base64', async () => {
    const shellId = await shell();
    const commandId = readCommandId(await call(ACTION.command, { shellId, body: commandBody('x', []) }));
    const { xml, messageId } = envelope(ACTION.send, { shellId, body: sendBody(commandId, Buffer.from('abc'), true) });
    assert.equal((await fault(xml.replace(/>YWJj</, '>not base64!<'), messageId)).subcode, 'w:InvalidParameter');
  });

  test('malformed XML', async () => {
    const r = await post(plain, '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>');
    assert.equal(r.status, 500);
    assert.match(r.text, /SchemaValidationError/);
  });

  test('wrong credentials: 401', async () => {
    const { xml } = envelope(ACTION.create, { body: createShellBody() });
    const r = await post(plain, xml, { Authorization: `Basic ${Buffer.from(`${USER}:nope`).toString('base64')}` });
    assert.equal(r.status, 401);
  });

  test('where encryption is required: Basic is not offered over http, and an unencrypted body is refused', async () => {
    const { xml } = envelope(ACTION.create, { body: createShellBody() });
    const r = await post(strict, xml);
    assert.equal(r.status, 401);
    const res = await fetch(`http://127.0.0.1:${strict.server.port}/wsman`, { method: 'POST', body: xml, headers: { Authorization: basic } });
    assert.deepEqual(res.headers.get('www-authenticate'), 'Negotiate');
  });
});
