// Page-side helpers (run in the browser, bundled by esbuild): float arrays to and from base64.

/** Float32Array → base64 (browser side; chunked so large arrays do not overflow the argument list). */
export function floatsToBase64(x: Float32Array): string {
  const bytes = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  let s = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    s += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + chunk)));
  }
  return btoa(s);
}

/** base64 → Float32Array (browser side). */
export function base64ToFloats(b64: string): Float32Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Float32Array(s.length / 4);
  const bytes = new Uint8Array(out.buffer);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return out;
}

/** Fetches a URL as bytes, throwing on an HTTP error. */
export async function fetchBytes(url: string): Promise<Uint8Array<ArrayBuffer>> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}
