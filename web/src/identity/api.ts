// Identity verification: the three sides of the ID go up only as device envelopes, made in this browser.
import { api, type Schemas, unwrap } from "../api/client";
import { AppError } from "../api/errors";
import { base64, importEnclaveKey, PURPOSE, SCHEME, sealForEnclave } from "./envelope";

export type IdentityCase = Schemas["IdentityCaseOut"];
export type Side = "front" | "back" | "selfie";
export const SIDES: Side[] = ["front", "back", "selfie"];

export async function myCase(signal: AbortSignal): Promise<IdentityCase | null> {
  try {
    return await unwrap(api().GET("/me/identity", { signal }));
  } catch (error) {
    if (error instanceof AppError && error.problem.kind === "refused" && error.problem.status === 404) return null;
    throw error;
  }
}

let enclave: Promise<CryptoKey> | null = null;

async function enclaveKey(): Promise<CryptoKey> {
  enclave ??= unwrap(api().GET("/enclave/public-key", {})).then((k) => {
    if (k.scheme !== SCHEME) throw new Error(`the enclave speaks ${k.scheme}, this app ${SCHEME}`);
    return importEnclaveKey(k.public_key_pem);
  });
  return enclave.catch((error: unknown) => {
    enclave = null;
    throw error;
  });
}

/** Encrypts the image here and uploads only the envelope. */
export async function uploadSide(userId: string, side: Side, file: File): Promise<IdentityCase> {
  const envelope = await sealForEnclave(await enclaveKey(), userId, PURPOSE, side, await file.arrayBuffer());
  const contentType = file.type === "image/png" ? "image/png" : "image/jpeg";
  return unwrap(api().POST("/me/identity/documents/{side}", {
    params: { path: { side } }, body: { content_type: contentType, envelope: base64(envelope) },
  }));
}

export function submitCase(): Promise<IdentityCase> {
  return unwrap(api().POST("/me/identity/submit", {}));
}
