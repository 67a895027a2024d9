/** JUnit XML read back as a CI system would: every testcase with its suite, failure and error. */
import assert from 'node:assert/strict';
import { DOMParser, type Element } from '@xmldom/xmldom';

export interface JunitCase {
  readonly suite: string;
  readonly classname: string;
  readonly name: string;
  /** The failure's message attribute and body, when the case failed. */
  readonly failure?: string;
  readonly error?: string;
}

function children(e: Element, tag: string): Element[] {
  return Array.from(e.childNodes).filter((n): n is Element => n.nodeType === n.ELEMENT_NODE && (n as Element).tagName === tag);
}

/** Parses strictly (any XML error throws) and checks the counts each suite declares. */
export function junitCases(xml: string): JunitCase[] {
  const doc = new DOMParser({
    onError: (level, message) => {
      throw new Error(`JUnit XML is not well-formed (${level}): ${message}`);
    },
  }).parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  assert.ok(root, 'a root element');
  assert.equal(root.tagName, 'testsuites');
  const cases: JunitCase[] = [];
  for (const suite of children(root, 'testsuite')) {
    const mine = children(suite, 'testcase');
    const text = (e: Element | undefined): string | undefined => (e ? `${e.getAttribute('message') ?? ''}\n${e.textContent ?? ''}` : undefined);
    const parsed = mine.map((c) => ({
      suite: suite.getAttribute('name') ?? '',
      classname: c.getAttribute('classname') ?? '',
      name: c.getAttribute('name') ?? '',
      ...(children(c, 'failure')[0] ? { failure: text(children(c, 'failure')[0]) } : {}),
      ...(children(c, 'error')[0] ? { error: text(children(c, 'error')[0]) } : {}),
    }));
    assert.equal(Number(suite.getAttribute('tests')), parsed.length, `tests= of suite ${suite.getAttribute('name')}`);
    assert.equal(Number(suite.getAttribute('failures')), parsed.filter((c) => c.failure !== undefined).length, 'failures=');
    assert.equal(Number(suite.getAttribute('errors')), parsed.filter((c) => c.error !== undefined).length, 'errors=');
    cases.push(...parsed);
  }
  assert.equal(Number(root.getAttribute('tests')), cases.length, 'testsuites tests=');
  assert.equal(Number(root.getAttribute('failures')), cases.filter((c) => c.failure !== undefined).length, 'testsuites failures=');
  assert.equal(Number(root.getAttribute('errors')), cases.filter((c) => c.error !== undefined).length, 'testsuites errors=');
  return cases;
}
