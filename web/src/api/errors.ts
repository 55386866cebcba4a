// Every failure a screen can meet, in one shape: a refusal names its field; a network failure can be retried.

export type Problem =
  | { kind: "refused"; status: number; code: string; message: string; field: string | null }
  | { kind: "network"; message: string }
  | { kind: "signed_out"; message: string };

export class AppError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** A message as a sentence: the API's are often fragments ("no such space"); a person reads "No such space." */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…)"']$/.test(capital) ? capital : `${capital}.`;
}

/** The API's {code, message, field}; anything else (a gateway's own body) still becomes a readable refusal.
 *  A 401 ends the session, except from the sign-in routes themselves (there it means a wrong password). */
export function refusal(status: number, body: unknown, path = ""): Problem {
  if (status === 401 && !path.includes("/auth/")) return { kind: "signed_out", message: "Your session has ended. Please sign in again." };
  if (isRecord(body) && typeof body.code === "string" && typeof body.message === "string") {
    return { kind: "refused", status, code: body.code, message: sentence(body.message), field: typeof body.field === "string" ? body.field : null };
  }
  const message = isRecord(body) && typeof body.message === "string" ? sentence(body.message) : `The server answered ${status}.`;
  return { kind: "refused", status, code: `http_${status}`, message, field: null };
}

export const NETWORK: Problem = {
  kind: "network",
  message: "We could not reach CarParker. Check your connection and try again; what you typed is kept.",
};

export function problemOf(error: unknown): Problem {
  if (error instanceof AppError) return error.problem;
  if (error instanceof DOMException && error.name === "AbortError") throw error;
  return NETWORK; // fetch rejects only when no answer arrived (offline, DNS, CORS)
}

/** The message for one form field, if the refusal names it (pydantic-style "a.b" paths match their first part too). */
export function fieldError(problem: Problem | undefined, field: string): string | undefined {
  if (problem?.kind !== "refused" || !problem.field) return undefined;
  return problem.field === field || problem.field.split(".")[0] === field ? problem.message : undefined;
}
