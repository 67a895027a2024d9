/** An established NTLM security context: one sealing channel out, one in, keyed by direction. */
import { sealKey, signKey, type Direction } from './crypto.ts';
import { SealingChannel, type Wrapped } from './sealing-channel.ts';

function channel(exportedSessionKey: Buffer, direction: Direction): SealingChannel {
  return new SealingChannel(signKey(exportedSessionKey, direction), sealKey(exportedSessionKey, direction));
}

export class NtlmSession {
  private constructor(
    private readonly outgoing: SealingChannel,
    private readonly incoming: SealingChannel,
  ) {}

  /** The initiator's view: sends client-to-server, receives server-to-client. */
  static client(exportedSessionKey: Buffer): NtlmSession {
    return new NtlmSession(channel(exportedSessionKey, 'client-to-server'), channel(exportedSessionKey, 'server-to-client'));
  }

  /** The acceptor's view: sends server-to-client, receives client-to-server. */
  static server(exportedSessionKey: Buffer): NtlmSession {
    return new NtlmSession(channel(exportedSessionKey, 'server-to-client'), channel(exportedSessionKey, 'client-to-server'));
  }

  wrap(message: Buffer): Wrapped {
    return this.outgoing.seal(message);
  }

  /** Throws NtlmIntegrityError on a bad checksum or an out-of-order sequence number. */
  unwrap(signature: Buffer, sealed: Buffer): Buffer {
    return this.incoming.open(signature, sealed);
  }
}
