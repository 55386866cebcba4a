// The one small query layer: server data is fetched here, with loading, error and retry states, and never copied
// into a global store. A refusal that means "signed out" ends the session, whichever screen met it.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { type Problem, problemOf } from "../api/errors";
import { endSession } from "../auth/session";

export type Query<T> =
  | { status: "loading"; data: T | undefined; problem: undefined; retry: () => void }
  | { status: "success"; data: T; problem: undefined; retry: () => void }
  | { status: "error"; data: T | undefined; problem: Problem; retry: () => void };

// The last answer per key, shown again at once when a screen comes back (and refreshed behind it).
const answers = new Map<string, unknown>();

export function cached<T>(key: string): T | undefined {
  return answers.get(key) as T | undefined;
}

// Every screen showing a key, so that a change made on one screen refreshes the others showing the same data.
const watchers = new Map<string, Set<() => void>>();

/** Loads again every shown query whose key starts with `prefix` (after a change the server made). */
export function invalidate(prefix: string): void {
  watchers.forEach((set, key) => key.startsWith(prefix) && set.forEach((reload) => reload()));
}

function report(problem: Problem): Problem {
  if (problem.kind === "signed_out") endSession(problem.message);
  return problem;
}

/** Runs `load` whenever `key` changes (null: nothing to load yet); a newer key aborts the older request. */
export function useQuery<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): Query<T> {
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<{ key: string | null; data?: T; problem?: Problem; done: boolean }>({ key, done: false });
  const loader = useRef(load);
  loader.current = load;

  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    setState({ key, data: cached<T>(key), done: false });
    loader.current(controller.signal).then(
      (data) => {
        answers.set(key, data);
        if (!controller.signal.aborted) setState({ key, data, done: true });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState({ key, data: cached<T>(key), problem: report(problemOf(error)), done: true });
      },
    );
    return () => controller.abort();
  }, [key, attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  useEffect(() => {
    if (key === null) return;
    const set = watchers.get(key) ?? new Set();
    watchers.set(key, set.add(retry));
    return () => {
      set.delete(retry);
      if (!set.size) watchers.delete(key);
    };
  }, [key]);
  if (state.key !== key || !state.done) return { status: "loading", data: key ? cached<T>(key) : undefined, problem: undefined, retry };
  if (state.problem) return { status: "error", data: state.data, problem: state.problem, retry };
  return { status: "success", data: state.data as T, problem: undefined, retry };
}

export type Outcome<T> = { ok: true; data: T } | { ok: false };

export interface Mutation<A, T> {
  status: "idle" | "pending" | "success" | "error";
  data: T | undefined;
  problem: Problem | undefined;
  /** Resolves to {ok: true, data} or, when it failed, {ok: false} (the problem is then in `problem`). */
  submit: (args: A) => Promise<Outcome<T>>;
  reset: () => void;
}

export function useMutation<A, T>(run: (args: A) => Promise<T>): Mutation<A, T> {
  const [state, setState] = useState<{ status: Mutation<A, T>["status"]; data?: T; problem?: Problem }>({ status: "idle" });
  const runner = useRef(run);
  runner.current = run;
  const submit = useCallback(async (args: A): Promise<Outcome<T>> => {
    setState({ status: "pending" });
    try {
      const data = await runner.current(args);
      setState({ status: "success", data });
      return { ok: true, data };
    } catch (error) {
      setState({ status: "error", problem: report(problemOf(error)) });
      return { ok: false };
    }
  }, []);
  const reset = useCallback(() => setState({ status: "idle" }), []);
  return { status: state.status, data: state.data, problem: state.problem, submit, reset };
}
