// The sharer's calls: register a space, prove ownership (presigned upload), offer it in windows, see its bookings.
import { api, type Schemas, unwrap } from "../api/client";
import type { Space } from "../spaces/api";
import { onePage, type Paged } from "../ui/paging";
import type { Booking } from "../bookings/api";

export type SpaceIn = Schemas["SpaceIn"];
export type WindowIn = Schemas["WindowIn"];
export type UploadTicket = Schemas["UploadTicketOut"];
export type DocumentType = Schemas["DocumentRequest"]["content_type"];
export const DOCUMENT_TYPES: DocumentType[] = ["application/pdf", "image/jpeg", "image/png"];
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

export function createSpace(body: SpaceIn, key: string): Promise<Space> {
  return unwrap(api().POST("/spaces", { body, params: { header: { "Idempotency-Key": key } } }));
}

export async function mySpaces(signal: AbortSignal): Promise<Paged<Space>> {
  return onePage((await unwrap(api().GET("/spaces", { signal }))).spaces);
}

export function documentTicket(spaceId: string, contentType: DocumentType, size: number): Promise<UploadTicket> {
  return unwrap(api().POST("/spaces/{space_id}/document", { params: { path: { space_id: spaceId } }, body: { content_type: contentType, size } }));
}

export function completeDocument(spaceId: string): Promise<Space> {
  return unwrap(api().POST("/spaces/{space_id}/document/complete", { params: { path: { space_id: spaceId } } }));
}

export function documentLink(spaceId: string): Promise<Schemas["DocumentLinkOut"]> {
  return unwrap(api().GET("/spaces/{space_id}/document", { params: { path: { space_id: spaceId } } }));
}

export function addWindow(spaceId: string, body: WindowIn, key: string): Promise<Space> {
  return unwrap(api().POST("/spaces/{space_id}/windows", { params: { path: { space_id: spaceId }, header: { "Idempotency-Key": key } }, body }));
}

export function replaceWindow(spaceId: string, windowId: string, body: WindowIn): Promise<Space> {
  return unwrap(api().PUT("/spaces/{space_id}/windows/{window_id}", { params: { path: { space_id: spaceId, window_id: windowId } }, body }));
}

export function withdrawWindow(spaceId: string, windowId: string): Promise<Space> {
  return unwrap(api().DELETE("/spaces/{space_id}/windows/{window_id}", { params: { path: { space_id: spaceId, window_id: windowId } } }));
}

export async function spaceBookings(spaceId: string, signal: AbortSignal): Promise<Paged<Booking>> {
  return onePage((await unwrap(api().GET("/spaces/{space_id}/reservations", { params: { path: { space_id: spaceId } }, signal }))).reservations);
}
