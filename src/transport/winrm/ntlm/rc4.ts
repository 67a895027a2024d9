/**
 * RC4 as a stateful stream. Node 20's OpenSSL 3 refuses rc4 (ERR_OSSL_EVP_UNSUPPORTED) and NTLM
 * sealing needs one keystream that runs on across every message of a session, so it lives here.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError(`RC4 key must be 1..256 bytes, got ${key.length}`);
    const s = this.s;
    for (let n = 0; n < 256; n++) s[n] = n;
    let j = 0;
    for (let n = 0; n < 256; n++) {
      const sn = s[n]!;
      j = (j + sn + key[n % key.length]!) & 0xff;
      s[n] = s[j]!;
      s[j] = sn;
    }
  }

  /** XORs data with the next bytes of the keystream; the stream continues from here on the next call. */
  update(data: Uint8Array): Buffer {
    const s = this.s;
    const out = Buffer.allocUnsafe(data.length);
    let { i, j } = this;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      out[n] = data[n]! ^ s[(si + sj) & 0xff]!;
    }
    this.i = i;
    this.j = j;
    return out;
  }
}
