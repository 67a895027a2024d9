/**
 * An HTML report as a person sees it: Debian's headless Chromium renders the file (a screenshot
 * is kept) and dumps the DOM it built; the visible text and the fleet matrix are read from that.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DOMParser } from '@xmldom/xmldom';
import { elementsOf, tableRows, tagOf, visibleText } from './html-text.ts';

const run = promisify(execFile);

export interface RenderedPage {
  /** The body's visible text, whitespace collapsed. */
  readonly text: string;
  /** The fleet matrix's body rows, each cell's text. */
  readonly matrixRows: readonly string[][];
  /** Tags of elements that would run code or load something: script, iframe, link, img... */
  readonly activeElements: readonly string[];
}

async function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'provision-chromium-'));
  try {
    const r = await run('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, ...args], { timeout: 120_000, maxBuffer: 64 << 20 });
    return r.stdout;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error("headless Chromium is needed to check the HTML report: install Debian's package (apt-get install -y chromium)");
    throw e;
  }
}

export async function renderInChromium(htmlFile: string, screenshot: string): Promise<RenderedPage> {
  const url = pathToFileURL(htmlFile).href;
  await chromium([`--screenshot=${screenshot}`, '--window-size=1400,1800', url]);
  const doc = new DOMParser().parseFromString(await chromium(['--dump-dom', url]), 'text/html');
  const all = elementsOf(doc);
  const body = all.find((e) => tagOf(e) === 'body');
  if (!body) throw new Error(`Chromium rendered no body for ${htmlFile}`);
  return {
    text: visibleText(body),
    matrixRows: tableRows(body, 'matrix'),
    activeElements: all.map(tagOf).filter((t) => ['script', 'iframe', 'link', 'img', 'object', 'embed'].includes(t)),
  };
}
