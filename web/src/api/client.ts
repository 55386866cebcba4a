// The one API client: openapi-fetch over the generated schema (src/api/schema.d.ts, never edited by hand).
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { AppError, NETWORK, refusal } from "./errors";

export type Schemas = components["schemas"];
export type ApiClient = ReturnType<typeof createClient<paths>>;

let client: ApiClient | null = null;
let tokenSource: () => string | null = () => null;

export function configureApi(baseUrl: string, token: () => string | null): void {
  tokenSource = token;
  client = createClient<paths>({ baseUrl });
  client.use({
    onRequest({ request }) {
      const t = tokenSource();
      if (t) request.headers.set("Authorization", `Bearer ${t}`);
      return request;
    },
  });
}

export function api(): ApiClient {
  if (!client) throw new Error("configureApi() first");
  return client;
}

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a 2xx answer; throws AppError with the refusal, or the network failure, otherwise. */
export async function unwrap<T>(call: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await call;
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new AppError(NETWORK);
  }
  if (outcome.response.ok && outcome.data !== undefined) return outcome.data;
  if (outcome.response.ok) return undefined as T;
  throw new AppError(refusal(outcome.response.status, outcome.error, new URL(outcome.response.url || "http://x/").pathname));
}
