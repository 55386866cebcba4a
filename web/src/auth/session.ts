// Who is signed in. The ID token lives in memory and in sessionStorage: it survives a reload of this tab and is gone
// when the tab closes; it is never in localStorage or a cookie (docs/web.md says why).
import { useEffect, useState } from "preact/hooks";

export interface Session {
  idToken: string;
  /** the Cognito subject: our user id */
  userId: string;
  email: string;
  groups: string[];
  /** ms since the epoch; a little before the token's own expiry, so no request leaves with a dead token */
  expiresAt: number;
}

const KEY = "carparker.session";
const EARLY_MS = 30_000;
let current: Session | null = restore();
let endedReason: string | null = null;
const listeners = new Set<() => void>();

function restore(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    const parsed = raw ? (JSON.parse(raw) as Session) : null;
    return parsed && parsed.expiresAt > Date.now() ? parsed : null;
  } catch {
    return null;
  }
}

function claims(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  try {
    return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function changed(): void {
  listeners.forEach((listener) => listener());
}

export function startSession(idToken: string, expiresInS: number, email: string): Session {
  const c = claims(idToken);
  const exp = typeof c.exp === "number" ? c.exp * 1000 : Date.now() + expiresInS * 1000;
  const groups = Array.isArray(c["cognito:groups"]) ? (c["cognito:groups"] as unknown[]).map(String) : [];
  current = { idToken, userId: typeof c.sub === "string" ? c.sub : "", email, groups, expiresAt: Math.min(exp, Date.now() + expiresInS * 1000) - EARLY_MS };
  endedReason = null;
  sessionStorage.setItem(KEY, JSON.stringify(current));
  changed();
  return current;
}

export function endSession(reason: string | null = null): void {
  current = null;
  endedReason = reason;
  sessionStorage.removeItem(KEY);
  changed();
}

/** The token for the next request, or null (and the session ended) once it has expired. */
export function bearer(): string | null {
  if (current && current.expiresAt <= Date.now()) endSession("Your session has ended. Please sign in again.");
  return current?.idToken ?? null;
}

export function whyEnded(): string | null {
  return endedReason;
}

export function useSession(): Session | null {
  const [session, setSession] = useState(current);
  useEffect(() => {
    const update = () => setSession(current);
    listeners.add(update);
    update();
    return () => void listeners.delete(update);
  }, []);
  return session;
}
