// The reviewers' calls: the queue of spaces and their documents, identity cases, decisions with reasons.
import { api, type Schemas, unwrap } from "../api/client";
import type { Space } from "../spaces/api";
import { onePage, type Paged } from "../ui/paging";

export type IdentityCase = Schemas["IdentityCaseOut"];
export type Side = "front" | "back" | "selfie";

export async function pendingSpaces(signal: AbortSignal): Promise<Paged<Space>> {
  return onePage((await unwrap(api().GET("/admin/spaces", { signal }))).spaces);
}

export function approveSpace(spaceId: string): Promise<Space> {
  return unwrap(api().POST("/admin/spaces/{space_id}/approve", { params: { path: { space_id: spaceId } } }));
}

export function rejectSpace(spaceId: string, reason: string): Promise<Space> {
  return unwrap(api().POST("/admin/spaces/{space_id}/reject", { params: { path: { space_id: spaceId } }, body: { reason } }));
}

export async function openCases(signal: AbortSignal): Promise<Paged<IdentityCase>> {
  return onePage((await unwrap(api().GET("/admin/identity/cases", { signal }))).cases);
}

export function caseDocument(userId: string, side: Side): Promise<Schemas["IdentityDocumentOut"]> {
  return unwrap(api().GET("/admin/identity/cases/{user_id}/documents/{side}", { params: { path: { user_id: userId, side } } }));
}

export function decideCase(userId: string, approve: boolean, reason: string): Promise<IdentityCase> {
  const params = { path: { user_id: userId } };
  return approve
    ? unwrap(api().POST("/admin/identity/cases/{user_id}/approve", { params }))
    : unwrap(api().POST("/admin/identity/cases/{user_id}/reject", { params, body: { reason } }));
}
