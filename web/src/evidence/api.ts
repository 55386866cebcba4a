// The evidence of an order (a zip of its photos and their ledger proofs) and the claims that share it.
import { api, type Schemas, unwrap } from "../api/client";
import { AppError, NETWORK } from "../api/errors";

export type Claim = Schemas["ClaimOut"];
export type Export = Schemas["EvidenceExportOut"];

export function exportEvidence(orderId: string): Promise<Export> {
  return unwrap(api().POST("/orders/{order_id}/evidence", { params: { path: { order_id: orderId } } }));
}

/** The zip itself, from the short-lived download URL (storage, not the API). */
export async function download(url: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new AppError(NETWORK);
  }
  if (!response.ok) {
    throw new AppError({ kind: "refused", status: response.status, code: `storage_${response.status}`, field: null,
      message: "The download link has expired or was refused. Ask for the evidence again." });
  }
  return response.blob();
}

export async function claimsOf(orderId: string, signal: AbortSignal): Promise<Claim[]> {
  return (await unwrap(api().GET("/orders/{order_id}/claims", { params: { path: { order_id: orderId } }, signal }))).claims;
}

export function openClaim(orderId: string, body: { share_with: ("sharer" | "carpark")[]; description: string }, key: string): Promise<Claim> {
  return unwrap(api().POST("/orders/{order_id}/claims", { params: { path: { order_id: orderId }, header: { "Idempotency-Key": key } }, body }));
}

export function getClaim(claimId: string, signal: AbortSignal): Promise<Claim> {
  return unwrap(api().GET("/claims/{claim_id}", { params: { path: { claim_id: claimId } }, signal }));
}

export function closeClaim(claimId: string): Promise<Claim> {
  return unwrap(api().POST("/claims/{claim_id}/close", { params: { path: { claim_id: claimId } } }));
}

export function claimEvidence(claimId: string): Promise<Export> {
  return unwrap(api().POST("/claims/{claim_id}/evidence", { params: { path: { claim_id: claimId } } }));
}
