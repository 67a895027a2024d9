/** Failures of one host, always naming the host, the resource (when there is one) and the fix. */
export class HostError extends Error {
  override name = 'HostError';
  constructor(
    readonly host: string,
    message: string,
    readonly options: { readonly resource?: string; readonly hint?: string; readonly phase?: 'connect' | 'read' | 'apply' | 'verify' | 'stale' | 'lock' | 'timeout' | 'interrupted' | 'health' } = {},
  ) {
    super(message);
  }
}
