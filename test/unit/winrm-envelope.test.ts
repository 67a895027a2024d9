/** Envelope building (escaping, headers) and reply reading (RelatesTo, faults, streams). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { buildEnvelope } from '../../src/transport/winrm/envelope.ts';
import { WsmanFault } from '../../src/transport/winrm/fault.ts';
import { createShellBody, readReceive, readShellId, sendBody } from '../../src/transport/winrm/messages.ts';
import { ACTION, CMD_RESOURCE_URI, NS } from '../../src/transport/winrm/namespaces.ts';
import { parseReply, WsmanProtocolError } from '../../src/transport/winrm/reply.ts';
import { el, renderXml } from '../../src/transport/winrm/xml.ts';

const HOSTILE = `a"b'c<d>e&f]]>g\r\nh\ti ü 😀`;

function reply(relatesTo: string, body: string): string {
  return `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:w="${NS.w}" xmlns:rsp="${NS.rsp}" xmlns:x="${NS.x}"><s:Header><a:Action>x</a:Action><a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

describe('buildEnvelope', () => {
  test('every header windows.md lists, with mustUnderstand where required', () => {
    const { xml, messageId } = buildEnvelope({ to: 'https://h:5986/wsman', action: ACTION.create, resourceUri: CMD_RESOURCE_URI, operationTimeout: 'PT20S', options: { WINRS_CODEPAGE: '65001' }, body: createShellBody() });
    assert.match(messageId, /^uuid:[0-9A-F-]{36}$/);
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const header = doc.getElementsByTagNameNS(NS.s, 'Header')[0];
    assert.ok(header);
    const h = (ns: string, local: string): { text: string; mu: string | null } => {
      const e = header.getElementsByTagNameNS(ns, local)[0];
      assert.ok(e, `${local} present`);
      return { text: e.textContent ?? '', mu: e.getAttributeNS(NS.s, 'mustUnderstand') };
    };
    assert.deepEqual(h(NS.a, 'Action'), { text: ACTION.create, mu: 'true' });
    assert.deepEqual(h(NS.w, 'ResourceURI'), { text: CMD_RESOURCE_URI, mu: 'true' });
    assert.deepEqual(h(NS.w, 'MaxEnvelopeSize'), { text: '153600', mu: 'true' });
    assert.deepEqual(h(NS.a, 'Address'), { text: `${NS.a}/role/anonymous`, mu: 'true' });
    assert.equal(h(NS.w, 'Locale').mu, 'false');
    assert.equal(h(NS.p, 'DataLocale').mu, 'false');
    assert.equal(h(NS.w, 'OperationTimeout').text, 'PT20S');
    assert.equal(h(NS.a, 'MessageID').text, messageId);
    assert.equal(h(NS.w, 'Option').text, '65001');
  });

  test('hostile values are escaped and read back exactly', () => {
    const { xml } = buildEnvelope({ to: 'x', action: ACTION.create, resourceUri: CMD_RESOURCE_URI, operationTimeout: 'PT1S', selectors: { ShellId: HOSTILE }, body: createShellBody({ environment: { [HOSTILE]: HOSTILE } }) });
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    assert.equal(doc.getElementsByTagNameNS(NS.w, 'Selector')[0]?.textContent, HOSTILE);
    const variable = doc.getElementsByTagNameNS(NS.rsp, 'Variable')[0];
    assert.equal(variable?.getAttribute('Name'), HOSTILE);
    assert.equal(variable?.textContent, HOSTILE);
  });

  test('control characters XML cannot carry are refused, not dropped', () => {
    assert.throws(() => renderXml(el('a', {}, 'x\u0001y')), /control character/);
  });

  test('stdin chunks are base64 with End only on the last', () => {
    assert.equal(renderXml(sendBody('C1', Buffer.from('hi'), true)), '<rsp:Send><rsp:Stream Name="stdin" CommandId="C1" End="true">aGk=</rsp:Stream></rsp:Send>');
    assert.equal(renderXml(sendBody('C1', Buffer.from('hi'), false)), '<rsp:Send><rsp:Stream Name="stdin" CommandId="C1">aGk=</rsp:Stream></rsp:Send>');
  });
});

describe('parseReply', () => {
  test('RelatesTo must equal the MessageID', () => {
    assert.throws(() => parseReply(reply('uuid:OTHER', ''), 'uuid:MINE'), (e: Error) => e instanceof WsmanProtocolError && /relates to uuid:OTHER, not to the request uuid:MINE/.test(e.message));
    assert.throws(() => parseReply('not xml <', 'uuid:MINE'), WsmanProtocolError);
  });

  test('a fault becomes a typed WsmanFault with code, subcode, reason and WSManFault Code', () => {
    const fault = `<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="${NS.f}" Code="2150858793" Machine="win1"><f:Message>timed out</f:Message></f:WSManFault></s:Detail></s:Fault>`;
    const err = (() => {
      try {
        parseReply(reply('uuid:MINE', fault), 'uuid:MINE');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof WsmanFault);
    assert.equal(err.code, 's:Receiver');
    assert.equal(err.subcode, 'w:TimedOut');
    assert.equal(err.wsmanCode, 2150858793);
    assert.match(err.reason, /OperationTimeout/);
    assert.equal(err.detail, 'timed out');
  });

  test('ShellId from ResourceCreated; streams decoded to bytes per stream; exit code when Done', () => {
    const created = `<x:ResourceCreated><a:Address>x</a:Address><a:ReferenceParameters><w:SelectorSet><w:Selector Name="ShellId">ABC-1</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>`;
    assert.equal(readShellId(parseReply(reply('uuid:1', created), 'uuid:1')), 'ABC-1');
    const euro = Buffer.from('€');
    const receive = `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C">${euro.subarray(0, 1).toString('base64')}</rsp:Stream><rsp:Stream Name="stderr" CommandId="C">ZQ==</rsp:Stream><rsp:Stream Name="stdout" CommandId="C" End="true">${euro.subarray(1).toString('base64')}</rsp:Stream><rsp:CommandState CommandId="C" State="${NS.rsp}/CommandState/Done"><rsp:ExitCode>4294967295</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`;
    const r = readReceive(parseReply(reply('uuid:2', receive), 'uuid:2'), 'C');
    assert.equal(Buffer.concat(r.stdout).toString('utf8'), '€');
    assert.equal(Buffer.concat(r.stderr).toString('utf8'), 'e');
    assert.equal(r.done, true);
    assert.equal(r.exitCode, -1);
    const running = readReceive(parseReply(reply('uuid:3', `<rsp:ReceiveResponse><rsp:CommandState CommandId="C" State="${NS.rsp}/CommandState/Running"/></rsp:ReceiveResponse>`), 'uuid:3'), 'C');
    assert.equal(running.done, false);
    assert.equal(running.exitCode, undefined);
  });
});
