// The saved card (a provider token; card details never reach CarParker) and the sharer's earnings.
import { api, type Schemas, unwrap } from "../api/client";
import { AppError } from "../api/errors";

export type Card = Schemas["PaymentMethodOut"];
export type Earnings = Schemas["EarningsOut"];

/** My card, or null when none is saved yet. */
export async function myCard(signal: AbortSignal): Promise<Card | null> {
  try {
    return await unwrap(api().GET("/me/payment-method", { signal }));
  } catch (error) {
    if (error instanceof AppError && error.problem.kind === "refused" && error.problem.status === 404) return null;
    throw error;
  }
}

export function saveCard(token: string): Promise<Card> {
  return unwrap(api().PUT("/me/payment-method", { body: { token } }));
}

export function myEarnings(signal: AbortSignal): Promise<Earnings> {
  return unwrap(api().GET("/me/earnings", { signal }));
}
