// Arrival and departure photos: declare the set (digest and size per view), PUT each photo straight to storage, then
// ask the server to check and record them.
import { api, type Schemas, unwrap } from "../api/client";

export type PhotoSet = Schemas["PhotoSetOut"];
export type Ticket = Schemas["UploadOut"];
export type PhotoPhase = "arrival" | "departure";
export const VIEWS = ["front", "rear", "left", "right"] as const;
export type View = (typeof VIEWS)[number];

export async function photoSets(orderId: string, signal: AbortSignal): Promise<PhotoSet[]> {
  return (await unwrap(api().GET("/orders/{order_id}/photos", { params: { path: { order_id: orderId } }, signal }))).sets;
}

/** Asking again replaces an earlier request for the phase (until it is recorded), so a retry needs no key. */
export async function requestUploads(orderId: string, phase: PhotoPhase, photos: { view: string; sha256: string; size: number }[]): Promise<Ticket[]> {
  return (await unwrap(api().POST("/orders/{order_id}/photos/{phase}", { params: { path: { order_id: orderId, phase } }, body: { photos: photos.map((p) => ({ ...p, content_type: "image/jpeg" as const })) } }))).uploads;
}

export function completeSet(orderId: string, phase: PhotoPhase, key: string): Promise<PhotoSet> {
  return unwrap(api().POST("/orders/{order_id}/photos/{phase}/complete", {
    params: { path: { order_id: orderId, phase }, header: { "Idempotency-Key": key } },
  }));
}
