/** A transport wrapper for tests: runs `before(n)` before the n-th script (from 1), e.g. to pause or interrupt a host mid-run. */
import type { Transport } from '../../src/transport/transport.ts';

export function observedTransport(t: Transport, before: (n: number) => Promise<void> | void): Transport {
  let n = 0;
  return {
    get host() {
      return t.host;
    },
    get execCount() {
      return t.execCount;
    },
    get shell() {
      return t.shell;
    },
    connect: () => t.connect(),
    close: () => t.close(),
    runScript: async (script, options) => {
      await before(++n);
      return t.runScript(script, options);
    },
  };
}
