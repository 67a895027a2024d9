/** What every command does the same way: loading configuration, printing diagnostics, styling. */
import { formatDiagnostic } from '../../config/diagnostics.ts';
import { loadConfiguration, type Configuration, type LoadOptions } from '../../config/playbook.ts';
import type { HostWork } from '../../config/playbook.ts';
import type { Transport } from '../../transport/transport.ts';
import { transportFor } from '../../transport/factory.ts';
import { colour, plain, type Style } from '../render-plan.ts';

/** Loads and validates; prints every diagnostic to stderr. Returns undefined when there are errors. */
export function loadOrReport(options: LoadOptions): Configuration | undefined {
  const { config, diagnostics } = loadConfiguration(options);
  for (const d of diagnostics) console.error(formatDiagnostic(d));
  if (!config) {
    const n = diagnostics.filter((d) => d.severity === 'error').length;
    console.error(`\n${n} error${n === 1 ? '' : 's'}: nothing was contacted.`);
  }
  return config;
}

export function styleFor(stream: NodeJS.WriteStream): Style {
  return stream.isTTY && !process.env.NO_COLOR ? colour : plain;
}

export function defaultTransport(work: HostWork): Transport {
  return transportFor(work.host);
}
