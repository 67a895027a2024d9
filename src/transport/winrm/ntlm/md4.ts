/** MD4, which Node 20's OpenSSL 3 no longer offers; only NTOWF needs it. */
import jsMd4 from 'js-md4';

export function md4(data: Uint8Array): Buffer {
  return Buffer.from(jsMd4.arrayBuffer(data));
}
