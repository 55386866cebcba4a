// What the console's screens share: tables that sort, filter and page with the API's cursors; polling on a timer
// (tests drive it with Playwright's clock); a refusal's message under the field it names; downloads.
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { AppError, NETWORK, type Problem } from "../api/errors";
import { ProblemNotice } from "../ui/components";
import type { Paged } from "../ui/paging";
import { saveBlob } from "../ui/upload";

export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => ComponentChildren;
  sort?: (row: T) => string | number;
  align?: "end";
}

/** A table of rows already loaded; sorting by a column's header, filtering by text, "Load more" for the next page. */
export function DataTable<T>({ caption, columns, rows, rowKey, filterText, next, onMore, loadingMore, empty }: {
  caption: string; columns: Column<T>[]; rows: T[]; rowKey: (row: T) => string; filterText?: (row: T) => string;
  next?: string | null; onMore?: () => void; loadingMore?: boolean; empty: string;
}) {
  const [sortBy, setSortBy] = useState<{ key: string; dir: 1 | -1 } | null>(null);
  const [filter, setFilter] = useState("");
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    let out = f && filterText ? rows.filter((r) => filterText(r).toLowerCase().includes(f)) : rows;
    const col = sortBy && columns.find((c) => c.key === sortBy.key);
    if (col?.sort && sortBy) {
      const get = col.sort;
      out = [...out].sort((a, b) => (get(a) < get(b) ? -1 : get(a) > get(b) ? 1 : 0) * sortBy.dir);
    }
    return out;
  }, [rows, filter, sortBy, columns, filterText]);
  return (
    <div class="table-block">
      {filterText && (
        <div class="field table-filter">
          <label for={`filter-${caption}`}>Filter {caption.toLowerCase()}</label>
          <input id={`filter-${caption}`} type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </div>
      )}
      <div class="table-scroll">
        <table class="table">
          <caption class="sr-only">{caption}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.key} scope="col" class={c.align === "end" ? "num" : undefined}
                  aria-sort={sortBy?.key === c.key ? (sortBy.dir === 1 ? "ascending" : "descending") : undefined}>
                  {c.sort ? (
                    <button type="button" class="sort" onClick={() => setSortBy((s) => ({ key: c.key, dir: s?.key === c.key && s.dir === 1 ? -1 : 1 }))}>
                      {c.label}<span aria-hidden="true">{sortBy?.key === c.key ? (sortBy.dir === 1 ? " ▲" : " ▼") : " ↕"}</span>
                    </button>
                  ) : c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={rowKey(r)}>{columns.map((c) => <td key={c.key} class={c.align === "end" ? "num" : undefined}>{c.render(r)}</td>)}</tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length === 0 && <p class="muted">{empty}</p>}
      {next && onMore && (
        <button type="button" class="button button--secondary" disabled={loadingMore} onClick={onMore}>
          {loadingMore ? "Loading…" : "Load more"}
        </button>
      )}
    </div>
  );
}

/** A list read page by page with the API's `next` cursor; `reload` starts again from the first page. */
export function usePaged<T>(key: string, load: (next: string | null) => Promise<Paged<T>>) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [status, setStatus] = useState<"loading" | "ready" | "more">("loading");
  const [round, setRound] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let live = true;
    setStatus("loading");
    loader.current(null).then((page) => {
      if (!live) return;
      setItems(page.items);
      setNext(page.next);
      setProblem(undefined);
      setStatus("ready");
    }, (e: unknown) => live && (setProblem(asProblem(e)), setStatus("ready")));
    return () => void (live = false);
  }, [key, round]);
  const more = () => {
    if (!next) return;
    setStatus("more");
    loader.current(next).then((page) => {
      setItems((old) => [...old, ...page.items]);
      setNext(page.next);
      setStatus("ready");
    }, (e: unknown) => (setProblem(asProblem(e)), setStatus("ready")));
  };
  return { items, next, problem, loading: status === "loading", loadingMore: status === "more", more, reload: () => setRound((n) => n + 1) };
}

function asProblem(e: unknown): Problem {
  return e instanceof AppError ? e.problem : NETWORK;
}

/** Calls `tick` every `everyMs` while the screen is shown (setInterval: a test's clock drives it, no test waits). */
export function useEvery(everyMs: number, tick: () => void): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    const timer = setInterval(() => latest.current(), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
}

/** The message of a refusal that names this field (or a field inside it), for the input it belongs under. */
export function errorFor(problem: Problem | undefined, ...fields: string[]): string | undefined {
  if (problem?.kind !== "refused" || !problem.field) return undefined;
  return fields.some((f) => problem.field === f) ? problem.message : undefined;
}

export function Refusal({ problem, fields, retry }: { problem: Problem | undefined; fields: string[]; retry?: () => void }) {
  return <ProblemNotice problem={problem} fields={fields} retry={retry} />;
}

/** Saves text as a file (CSV, a proof bundle) without leaving the page. */
export function download(name: string, text: string, type: string): void {
  saveBlob(new Blob([text], { type }), name);
}

export function Badge({ kind, children }: { kind: string; children: ComponentChildren }) {
  return <span class={`badge badge--${kind}`}>{children}</span>;
}

/** Today in the car park's zone, as YYYY-MM-DD. */
export function today(zone: string, now = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

export function shortTime(iso: string, zone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: zone, day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" })
    .format(new Date(iso));
}
