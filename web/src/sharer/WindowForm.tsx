// Offer the space: every week on some days between two times, or once between two moments; at an hourly rate with an
// optional daily cap. The same form edits a window.
import { useState } from "preact/hooks";
import { fieldError } from "../api/errors";
import type { Space, Window } from "../spaces/api";
import { Checkbox, Field, ProblemNotice } from "../ui/components";
import { instantOf, localInputValue, moneyInput, parseMoney, zoneLabel } from "../ui/format";
import { useAttemptKey } from "../ui/keys";
import { useMutation } from "../ui/query";
import { addWindow, replaceWindow, type WindowIn } from "./api";

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const FIELDS = ["kind", "days", "start_time", "end_time", "start", "end", "rate_minor", "daily_cap_minor", "valid_from", "valid_until"];
const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

interface Draft {
  kind: "weekly" | "once"; days: number[]; from: string; until: string; validFrom: string; validUntil: string;
  start: string; end: string; rate: string; cap: string;
}

function draftOf(w: Window | null, space: Space): Draft {
  const z = space.timezone;
  const soon = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
  return {
    kind: w?.kind === "once" ? "once" : "weekly", days: w?.days ?? [0, 1, 2, 3, 4], from: w?.start_time ?? "08:00", until: w?.end_time ?? "18:00",
    validFrom: w?.valid_from ?? "", validUntil: w?.valid_until ?? "",
    start: w?.start ? localInputValue(new Date(w.start), z) : localInputValue(soon, z),
    end: w?.end ? localInputValue(new Date(w.end), z) : localInputValue(new Date(soon.getTime() + 8 * 3_600_000), z),
    rate: w ? moneyInput(w.rate_minor, space.currency) : "", cap: w?.daily_cap_minor != null ? moneyInput(w.daily_cap_minor, space.currency) : "",
  };
}

function check(d: Draft, currency: string, zone: string): { body?: WindowIn; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const rate = parseMoney(d.rate, currency);
  const cap = d.cap.trim() ? parseMoney(d.cap, currency) : null;
  if (rate === null) errors.rate_minor = "Enter the price per hour, e.g. 3.50.";
  if (d.cap.trim() && cap === null) errors.daily_cap_minor = "Enter the most a day may cost, e.g. 20.00, or leave it empty.";
  if (d.kind === "weekly") {
    if (!d.days.length) errors.days = "Choose at least one day.";
    if (!CLOCK.test(d.from)) errors.start_time = "Enter the time as HH:MM, e.g. 08:00.";
    if (!CLOCK.test(d.until)) errors.end_time = "Enter the time as HH:MM, e.g. 18:00 (24:00 for midnight).";
    if (!errors.start_time && !errors.end_time && d.until <= d.from) errors.end_time = "The end must be after the start.";
  } else {
    const s = instantOf(d.start, zone);
    const e = instantOf(d.end, zone);
    if (!s) errors.start = "Enter when the window starts.";
    if (!e) errors.end = "Enter when it ends.";
    if (s && e && e <= s) errors.end = "The end must be after the start.";
  }
  if (Object.keys(errors).length) return { errors };
  const money = { rate_minor: rate ?? 0, daily_cap_minor: cap };
  const iso = (t: string) => instantOf(t, zone)?.toISOString().replace(/\.000Z$/, "Z") ?? t;
  const body: WindowIn = d.kind === "weekly"
    ? { kind: "weekly", days: [...d.days].sort(), start_time: d.from, end_time: d.until, valid_from: d.validFrom || null,
      valid_until: d.validUntil || null, start: null, end: null, ...money }
    : { kind: "once", start: iso(d.start), end: iso(d.end), days: [], start_time: null, end_time: null, valid_from: null, valid_until: null, ...money };
  return { body, errors };
}

export function WindowForm({ space, editing, onSaved, onCancel }: {
  space: Space; editing: Window | null; onSaved: (s: Space) => void; onCancel?: () => void;
}) {
  const [d, setD] = useState<Draft>(() => draftOf(editing, space));
  const [local, setLocal] = useState<Record<string, string>>({});
  const set = <K extends keyof Draft>(k: K) => (v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  const key = useAttemptKey(JSON.stringify(d));
  const save = useMutation((body: WindowIn) => (editing ? replaceWindow(space.space_id, editing.window_id, body) : addWindow(space.space_id, body, key)));
  const p = save.problem;
  const err = (f: string) => local[f] ?? fieldError(p, f);
  const submit = async () => {
    const { body, errors } = check(d, space.currency, space.timezone);
    setLocal(errors);
    if (!body) return;
    const done = await save.submit(body);
    if (done.ok) onSaved(done.data);
  };
  const toggleDay = (i: number, on: boolean) => set("days")(on ? [...d.days, i] : d.days.filter((x) => x !== i));
  return (
    <form class="form panel" noValidate onSubmit={(e) => { e.preventDefault(); void submit(); }} aria-labelledby="window-form-title">
      <h3 id="window-form-title">{editing ? "Change the window" : "Offer more time"}</h3>
      <fieldset class="fieldset">
        <legend>How often</legend>
        <div class="check"><input id="kind-weekly" type="radio" name="kind" checked={d.kind === "weekly"} onChange={() => set("kind")("weekly")} /><label for="kind-weekly">Every week</label></div>
        <div class="check"><input id="kind-once" type="radio" name="kind" checked={d.kind === "once"} onChange={() => set("kind")("once")} /><label for="kind-once">Once</label></div>
      </fieldset>
      <p class="hint">Times in {zoneLabel(space.timezone)}.</p>
      {d.kind === "weekly" ? (
        <>
          <fieldset class="fieldset days">
            <legend>On</legend>
            {DAYS.map((name, i) => <Checkbox key={name} label={name} checked={d.days.includes(i)} onChange={(on) => toggleDay(i, on)} />)}
            {err("days") && <p class="field-error" role="alert">{err("days")}</p>}
          </fieldset>
          <div class="row">
            <Field label="From (HH:MM)" value={d.from} onValue={set("from")} inputMode="numeric" error={err("start_time")} />
            <Field label="Until (HH:MM)" value={d.until} onValue={set("until")} inputMode="numeric" hint="24:00 for midnight." error={err("end_time")} />
          </div>
          <div class="row">
            <Field label="First day (optional)" type="date" value={d.validFrom} onValue={set("validFrom")} error={err("valid_from")} />
            <Field label="Last day (optional)" type="date" value={d.validUntil} onValue={set("validUntil")} error={err("valid_until")} />
          </div>
        </>
      ) : (
        <div class="row">
          <Field label="Starts" type="datetime-local" value={d.start} onValue={set("start")} step={900} error={err("start")} />
          <Field label="Ends" type="datetime-local" value={d.end} onValue={set("end")} step={900} error={err("end")} />
        </div>
      )}
      <div class="row">
        <Field label={`Price per hour (${space.currency})`} value={d.rate} onValue={set("rate")} inputMode="text" error={err("rate_minor")} />
        <Field label={`Most a day may cost (${space.currency}, optional)`} value={d.cap} onValue={set("cap")} inputMode="text" error={err("daily_cap_minor")} />
      </div>
      <ProblemNotice problem={p} retry={() => void submit()} fields={FIELDS} />
      <div class="actions">
        <button type="submit" class="button" disabled={save.status === "pending"}>{save.status === "pending" ? "Saving…" : editing ? "Save the window" : "Offer this time"}</button>
        {onCancel && <button type="button" class="button button--secondary" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
