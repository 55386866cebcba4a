// Shared UI: labelled fields that show their own refusal, notices with a retry, and the page frame.
import type { ComponentChildren, Ref } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { Problem } from "../api/errors";

let nextId = 0;
function useId(prefix: string): string {
  const id = useRef<string | null>(null);
  if (!id.current) id.current = `${prefix}-${++nextId}`;
  return id.current;
}

/** The input attributes our forms use (a closed list keeps the types strict). */
interface InputExtras {
  autoComplete?: string;
  required?: boolean;
  placeholder?: string;
  list?: string;
  inputMode?: "numeric" | "text" | "email" | "search";
  step?: number;
  enterKeyHint?: "search" | "go" | "done" | "next";
  disabled?: boolean;
  maxLength?: number;
  autoCapitalize?: "characters" | "none" | "words";
}

type InputProps = InputExtras & {
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | undefined;
  hint?: string | undefined;
  type?: "text" | "email" | "password" | "datetime-local" | "date" | "time";
  inputRef?: Ref<HTMLInputElement>;
};

/** A labelled input; its refusal sits right under it, announced and tied to it (aria-describedby). */
export function Field({ label, value, onValue, error, hint, type = "text", inputRef, ...rest }: InputProps) {
  const id = useId("field");
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field${error ? " field--invalid" : ""}`}>
      <label for={id}>{label}</label>
      {hint && <p id={`${id}-hint`} class="hint">{hint}</p>}
      {/* Preact types inputs by their type; one text-like shape fits all four we use */}
      <input id={id} ref={inputRef} type={type as "text"} value={value} aria-invalid={error ? true : undefined} aria-describedby={described}
        onInput={(e) => onValue(e.currentTarget.value)} {...rest} />
      {error && <p id={`${id}-error`} class="field-error" role="alert">{error}</p>}
    </div>
  );
}

export function Checkbox({ label, checked, onChange }: { label: string; checked: boolean; onChange: (checked: boolean) => void }) {
  const id = useId("check");
  return (
    <div class="check">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />
      <label for={id}>{label}</label>
    </div>
  );
}

export function Select<V extends string>({ label, value, options, onChange }: {
  label: string; value: V; options: readonly (readonly [V, string])[]; onChange: (value: V) => void;
}) {
  const id = useId("select");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value as V)}>
        {options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
      </select>
    </div>
  );
}

/** A problem no field owns (or a network failure, with its retry). Fields' own refusals are shown by their Field. */
export function ProblemNotice({ problem, retry, fields = [] }: { problem: Problem | undefined; retry?: () => void; fields?: string[] }) {
  if (!problem) return null;
  if (problem.kind === "refused" && problem.field && fields.some((f) => problem.field === f || problem.field?.startsWith(`${f}.`))) {
    return null;
  }
  return (
    <div class={`notice notice--${problem.kind === "network" ? "warn" : "error"}`} role="alert">
      <p>{problem.message}</p>
      {problem.kind === "network" && retry && <button type="button" class="button button--secondary" onClick={retry}>Try again</button>}
    </div>
  );
}

export function Loading({ label }: { label: string }) {
  return <p class="loading" role="status">{label}</p>;
}

/** A page's heading takes the focus when the page opens, so screen readers announce where they are. */
export function Page({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · CarParker`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1} ref={heading}>{title}</h1>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function TextArea({ label, value, onValue, error, hint, maxLength }: {
  label: string; value: string; onValue: (value: string) => void; error?: string | undefined; hint?: string; maxLength?: number;
}) {
  const id = useId("text");
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field${error ? " field--invalid" : ""}`}>
      <label for={id}>{label}</label>
      {hint && <p id={`${id}-hint`} class="hint">{hint}</p>}
      <textarea id={id} value={value} rows={4} maxLength={maxLength} aria-invalid={error ? true : undefined} aria-describedby={described}
        onInput={(e) => onValue(e.currentTarget.value)} />
      {error && <p id={`${id}-error`} class="field-error" role="alert">{error}</p>}
    </div>
  );
}

/** A file picker; `capture` opens the phone's camera directly. */
export function FileField({ label, accept, capture, onFile, error, hint, disabled }: {
  label: string; accept: string; capture?: "environment" | "user"; onFile: (file: File) => void; error?: string | undefined;
  hint?: string; disabled?: boolean;
}) {
  const id = useId("file");
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field field--file${error ? " field--invalid" : ""}`}>
      <label for={id}>{label}</label>
      {hint && <p id={`${id}-hint`} class="hint">{hint}</p>}
      <input id={id} type="file" accept={accept} capture={capture} disabled={disabled} aria-invalid={error ? true : undefined}
        aria-describedby={described} onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          if (file) onFile(file);
          e.currentTarget.value = ""; // the same file may be picked again after a failure
        }} />
      {error && <p id={`${id}-error`} class="field-error" role="alert">{error}</p>}
    </div>
  );
}

export function Progress({ label, fraction }: { label: string; fraction: number }) {
  const pct = Math.round(fraction * 100);
  return (
    <div class="progress">
      <progress max={100} value={pct} aria-label={label} />
      <span aria-hidden="true">{pct}%</span>
    </div>
  );
}

export function Notice({ kind = "info", children }: { kind?: "info" | "success" | "warn" | "error"; children: ComponentChildren }) {
  return <div class={`notice notice--${kind}`} role={kind === "error" || kind === "warn" ? "alert" : "status"}>{children}</div>;
}

/** A list's "more" control, shown only when the API says there is a next page. */
export function LoadMore({ next, onMore }: { next: string | null; onMore: (next: string) => void }) {
  if (!next) return null;
  return <button type="button" class="button button--secondary" onClick={() => onMore(next)}>Show more</button>;
}
