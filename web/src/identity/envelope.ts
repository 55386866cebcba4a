// The device envelope of chalicelib/domain/envelope.py, made in the browser with WebCrypto, so an ID image leaves the
// device only encrypted to the enclave's key (docs/enclave.md, docs/web.md):
//   ECDH P-256 between a fresh ephemeral key and the enclave's key (GET /enclave/public-key, SPKI PEM);
//   HKDF-SHA256 (no salt, i.e. 32 zero bytes; info = the binding below) to a 256-bit AES-GCM key;
//   AES-256-GCM, 96-bit random nonce, the binding again as associated data.
//   binding = for each of [label, user id, purpose, side, device point, enclave point]: 4-byte big-endian length || bytes
//   envelope = 0x01 || device point (65 bytes, uncompressed) || nonce (12) || ciphertext || tag (16)
const LABEL = "carparker/device-envelope/v1";
export const SCHEME = "ECDH-P256+HKDF-SHA256+AES-256-GCM/v1";
export const PURPOSE = "id-document";

const utf8 = (text: string) => new TextEncoder().encode(text);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function binding(userId: string, purpose: string, objectId: string, devicePoint: Uint8Array, enclavePoint: Uint8Array): Uint8Array {
  const parts = [utf8(LABEL), utf8(userId), utf8(purpose), utf8(objectId), devicePoint, enclavePoint];
  return concat(parts.flatMap((p) => {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, p.length);
    return [length, p];
  }));
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const b64 = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export async function importEnclaveKey(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("spki", pemBody(pem), { name: "ECDH", namedCurve: "P-256" }, true, []);
}

/** Seals `plaintext` for the enclave, bound to (user, purpose, side). Randomness comes from the browser. */
export async function sealForEnclave(enclave: CryptoKey, userId: string, purpose: string, objectId: string,
  plaintext: ArrayBuffer): Promise<Uint8Array> {
  const ephemeral = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const devicePoint = new Uint8Array(await crypto.subtle.exportKey("raw", ephemeral.publicKey));
  const enclavePoint = new Uint8Array(await crypto.subtle.exportKey("raw", enclave));
  const info = binding(userId, purpose, objectId, devicePoint, enclavePoint) as Uint8Array<ArrayBuffer>;
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: enclave }, ephemeral.privateKey, 256);
  const hkdf = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info }, hkdf,
    { name: "AES-GCM", length: 256 }, false, ["encrypt"]);
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: info, tagLength: 128 }, key, plaintext));
  return concat([new Uint8Array([1]), devicePoint, nonce, sealed]);
}

export function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
