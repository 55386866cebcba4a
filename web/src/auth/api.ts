// The accounts feature's calls.
import { api, type Schemas, unwrap } from "../api/client";
import { startSession } from "./session";

export type Role = "parker" | "sharer";

export async function signIn(email: string, password: string): Promise<void> {
  const tokens = await unwrap(api().POST("/auth/signin", { body: { email, password } }));
  startSession(tokens.id_token, tokens.expires_in, email);
}

export async function signUp(form: { email: string; password: string; display_name: string; roles: Role[] }): Promise<Schemas["UserOut"]> {
  return unwrap(api().POST("/auth/signup", { body: form }));
}

export async function me(signal: AbortSignal): Promise<Schemas["UserOut"]> {
  return unwrap(api().GET("/me", { signal }));
}

export function updateProfile(patch: { display_name: string | null; roles: Role[] | null }): Promise<Schemas["UserOut"]> {
  return unwrap(api().PATCH("/me", { body: patch }));
}

export function closeAccount(): Promise<Schemas["ClosedOut"]> {
  return unwrap(api().POST("/me/close", {}));
}

export async function myNotifications(signal: AbortSignal): Promise<Schemas["NotificationOut"][]> {
  return (await unwrap(api().GET("/me/notifications", { signal }))).notifications;
}
