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
}

type InputProps = InputExtras & {
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | undefined;
  hint?: string | undefined;
  type?: "text" | "email" | "password" | "datetime-local";
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
