/** The part of js-md4 (no bundled types) that md4.ts uses. */
declare module 'js-md4' {
  interface Md4 {
    arrayBuffer(message: ArrayBuffer | Uint8Array | string): ArrayBuffer;
  }
  const md4: Md4;
  export default md4;
}
