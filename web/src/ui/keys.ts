// One Idempotency-Key per attempt: a double tap or a retry after a lost answer sends the same key (the API then books
// once and replays its answer); changing what is asked starts a new attempt with a new key.
import { useMemo } from "preact/hooks";

export function newKey(): string {
  return crypto.randomUUID();
}

/** A key that stays the same while `attempt` (what the request says) stays the same. */
export function useAttemptKey(attempt: string, round = 0): string {
  return useMemo(() => newKey(), [attempt, round]);
}
