// Reserve a space: the window in the space's own zone, a plate (earlier ones offered again), the price fetched and
// shown before anything is booked, and one Idempotency-Key per attempt (a double tap, or a retry after a lost answer,
// books once).
import { useEffect, useState } from "preact/hooks";
import { fieldError, type Problem } from "../api/errors";
import { myBookings, quote, rememberedPlates, reserve } from "../bookings/api";
import { Field, Loading, ProblemNotice } from "../ui/components";
import { instantOf, localInputValue, money, windowText, zoneLabel } from "../ui/format";
import { useAttemptKey } from "../ui/keys";
import { invalidate, useMutation, useQuery } from "../ui/query";
import { navigate } from "../ui/router";
import type { Space } from "./api";

const FIELDS = ["start", "end", "plate"];

function iso(local: string, zone: string): string | null {
  return instantOf(local, zone)?.toISOString().replace(/\.000Z$/, "Z") ?? null;
}

/** A window typed in one zone (the search's), shown in another (the space's). */
export function carryWindow(start: string, end: string, from: string, to: string): { start: string; end: string } {
  const s = instantOf(start, from);
  const e = instantOf(end, from);
  return { start: s ? localInputValue(s, to) : "", end: e ? localInputValue(e, to) : "" };
}

function localProblems(start: string | null, end: string | null, plate: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!start) out.start = "Enter the date and time you arrive.";
  if (!end) out.end = "Enter the date and time you leave.";
  if (start && end && end <= start) out.end = "The end must be after the start.";
  if (!plate.trim()) out.plate = "Enter the number plate of the car you park.";
  return out;
}

export function ReservePanel({ space, initial }: { space: Space; initial: { start: string; end: string } }) {
  const zone = space.timezone;
  const [start, setStart] = useState(initial.start);
  const [end, setEnd] = useState(initial.end);
  const [plate, setPlate] = useState("");
  const [shown, setShown] = useState<Record<string, string>>({});
  const startIso = iso(start, zone);
  const endIso = iso(end, zone);
  const windowOk = !!startIso && !!endIso && endIso > startIso;

  const past = useQuery("bookings:mine", myBookings);
  const plates = rememberedPlates(past.data?.items ?? []);
  useEffect(() => {
    if (!plate && plates[0]) setPlate(plates[0]);
  }, [plates[0]]);

  const priced = useQuery(windowOk ? `quote:${space.space_id}:${startIso}:${endIso}` : null,
    (signal) => quote(space.space_id, startIso ?? "", endIso ?? "", signal));
  const key = useAttemptKey(`${startIso}|${endIso}|${plate.trim().toUpperCase()}`);
  const booking = useMutation(async () => {
    const form = { space_id: space.space_id, plate: plate.trim(), start: startIso ?? "", end: endIso ?? "" };
    for (let tries = 0; ; tries++) {
      try {
        return await reserve(form, key);
      } catch (error) {
        // The same attempt still running (a second tap): wait for it and take its answer (the API replays it).
        const p = (error as { problem?: Problem }).problem;
        if (p?.kind !== "refused" || p.code !== "request_in_progress" || tries >= 10) throw error;
        await new Promise((r) => setTimeout(r, 400));
      }
    }
  });

  const problem = booking.problem ?? (priced.status === "error" ? priced.problem : undefined);
  const inverted = !!startIso && !!endIso && endIso <= startIso ? { end: "The end must be after the start." } : {};
  const errorFor = (f: string) => shown[f] ?? (inverted as Record<string, string>)[f] ?? fieldError(problem, f);
  const submit = async () => {
    const found = localProblems(startIso, endIso, plate);
    setShown(found);
    if (Object.keys(found).length || priced.status !== "success") return;
    const done = await booking.submit(undefined);
    if (done.ok) invalidate("bookings:");
    if (done.ok) navigate(`/bookings/${encodeURIComponent(done.data.reservation_id)}`, { booked: "1" });
  };
  const price = priced.status === "success" ? priced.data : undefined;

  return (
    <section class="panel" aria-labelledby="reserve-title">
      <h2 id="reserve-title">Reserve this space</h2>
      <form class="form" noValidate onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <p class="hint">Times are in {zoneLabel(zone)}, the space's time zone.</p>
        <div class="row">
          <Field label="Arrive" type="datetime-local" value={start} onValue={(v) => { setStart(v); booking.reset(); }} error={errorFor("start")} step={900} />
          <Field label="Leave" type="datetime-local" value={end} onValue={(v) => { setEnd(v); booking.reset(); }} error={errorFor("end")} step={900} />
        </div>
        <Field label="Number plate" value={plate} onValue={(v) => { setPlate(v); booking.reset(); }} autoComplete="off" autoCapitalize="characters"
          maxLength={20} list="my-plates" error={errorFor("plate")} hint="The gate recognises the car by its plate." />
        <datalist id="my-plates">{plates.map((p) => <option key={p} value={p} />)}</datalist>
        {plates.length > 0 && (
          <div class="chips" role="group" aria-label="Plates you used before">
            {plates.map((p) => (
              <button key={p} type="button" class={`chip${p === plate.trim().toUpperCase() ? " chip--on" : ""}`} aria-pressed={p === plate.trim().toUpperCase()}
                onClick={() => { setPlate(p); booking.reset(); }}>{p}</button>
            ))}
          </div>
        )}
        <div class="quote" aria-live="polite">
          {!windowOk && <p>Choose when you arrive and leave to see the price.</p>}
          {windowOk && priced.status === "loading" && <Loading label="Working out the price…" />}
          {price && (
            <div aria-label="Price before you confirm">
              <p class="quote-total"><strong>{money(price.price_minor, price.currency)}</strong> in total</p>
              <p>{windowText(price.start, price.end, zone)}</p>
              <p class="muted">{money(price.rate_minor, price.currency)}/h{price.daily_cap_minor != null ? `, at most ${money(price.daily_cap_minor, price.currency)} a day` : ""}. Paid automatically when you leave.</p>
            </div>
          )}
        </div>
        <ProblemNotice problem={problem} retry={() => (booking.problem ? void submit() : priced.retry())} fields={FIELDS} />
        <button class="button" type="submit" disabled={booking.status === "pending" || !price}>
          {booking.status === "pending" ? "Reserving…" : price ? `Reserve for ${money(price.price_minor, price.currency)}` : "Reserve"}
        </button>
      </form>
    </section>
  );
}
