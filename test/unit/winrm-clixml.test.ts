/** CLIXML error streams (the shape powershell.exe writes to a redirected stderr) decoded to text. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeClixml, decodeClixmlString, decodeStderr, isClixml } from '../../src/transport/winrm/clixml.ts';

const NS = 'xmlns="http://schemas.microsoft.com/powershell/2004/04"';
// Recorded shape: a progress record, then two error lines split the way Write-Error output is, in two <Objs> blocks.
const RECORDED =
  '#< CLIXML\r\n' +
  `<Objs Version="1.1.0.1" ${NS}><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>` +
  '<S S="Error">Get-Item : Cannot find path \'C:\\nope\' because it does not exist._x000D__x000A_</S>' +
  '<S S="Error">At line:1 char:1_x000D__x000A_</S></Objs>' +
  `<Objs Version="1.1.0.1" ${NS}><S S="Error">caf_x00E9_ _xD83D__xDE00_ done_x000A_</S><S S="verbose">not an error</S></Objs>`;

test('keeps the Error strings, drops progress and other streams, decodes _xHHHH_ incl. surrogate pairs', () => {
  assert.ok(isClixml(RECORDED));
  assert.equal(decodeClixml(RECORDED), "Get-Item : Cannot find path 'C:\\nope' because it does not exist.\r\nAt line:1 char:1\r\ncafé 😀 done\n");
});

test('escape runs become UTF-16 code units joined as one string', () => {
  assert.equal(decodeClixmlString('_x0041__x0042_C'), 'ABC');
  assert.equal(decodeClixmlString('_xD83D__xDE00_'), '😀');
  assert.equal(decodeClixmlString('no escapes _x12_'), 'no escapes _x12_');
});

test('plain stderr passes through unchanged', () => {
  assert.equal(decodeClixml('just text\r\n'), 'just text\r\n');
  assert.deepEqual(decodeStderr(Buffer.from([0xff, 0x00])), Buffer.from([0xff, 0x00]));
  assert.equal(decodeStderr(Buffer.from(RECORDED)).toString('utf8').startsWith('Get-Item'), true);
});

test('an ErrorRecord object contributes its ToString', () => {
  const xml = `#< CLIXML\r\n<Objs Version="1.1.0.1" ${NS}><Obj S="Error" RefId="0"><ToString>Access is denied_x000D__x000A_</ToString><Props/></Obj></Objs>`;
  assert.equal(decodeClixml(xml), 'Access is denied\r\n');
});
