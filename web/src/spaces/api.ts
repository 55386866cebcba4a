import { api, type Schemas, unwrap } from "../api/client";

export type Space = Schemas["SpaceOut"];
export type Window = Schemas["WindowOut"];

export function getSpace(spaceId: string, signal: AbortSignal): Promise<Space> {
  return unwrap(api().GET("/spaces/{space_id}", { params: { path: { space_id: spaceId } }, signal }));
}

export function mySpaces(signal: AbortSignal): Promise<Schemas["SpaceList"]> {
  return unwrap(api().GET("/spaces", { signal }));
}

export function pendingSpaces(signal: AbortSignal): Promise<Schemas["SpaceList"]> {
  return unwrap(api().GET("/admin/spaces", { signal }));
}
