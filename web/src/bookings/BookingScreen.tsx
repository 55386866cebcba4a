// One booking: when and where, a countdown, directions, extend, cancel (the refund shown before confirming), the
// arrival and departure photos, the receipt, and the evidence with its claims.
import { useEffect, useRef, useState } from "preact/hooks";
import { fieldError } from "../api/errors";
import { useSession } from "../auth/session";
import { EvidencePanel } from "../evidence/EvidencePanel";
import { myCard } from "../payments/api";
import { photoSets } from "../photos/api";
import { getSpace, type Space } from "../spaces/api";
import { Directions } from "../spaces/SpaceScreen";
import { Field, Loading, Notice, Page, ProblemNotice } from "../ui/components";
import { instantOf, instantText, localInputValue, money, windowText, zoneLabel } from "../ui/format";
import { useAttemptKey } from "../ui/keys";
import { invalidate, useMutation, useQuery } from "../ui/query";
import { href } from "../ui/router";
import { duration, useNow } from "../ui/time";
import { type Booking, cancel, extend, getBooking, phaseOf, quoteExtension, STATE_TEXT } from "./api";
import { Receipt } from "./Receipt";

function Countdown({ b, now }: { b: Booking; now: number }) {
  const start = Date.parse(b.start);
  const end = Date.parse(b.end);
  if (b.state === "reserved" && now < start) return <p class="countdown" role="timer">Starts in <strong>{duration(start - now)}</strong></p>;
  if (b.state !== "reserved" && b.state !== "entered") return null;
  if (now < end) return <p class="countdown" role="timer"><strong>{duration(end - now)}</strong> left</p>;
  return <p class="countdown countdown--over" role="timer">The time ended {duration(now - end)} ago; time beyond it is charged as overstay.</p>;
}

function ExtendPanel({ b, zone, onDone }: { b: Booking; zone: string; onDone: () => void }) {
  const [end, setEnd] = useState(() => localInputValue(new Date(Date.parse(b.end) + 3_600_000), zone));
  const endIso = instantOf(end, zone)?.toISOString().replace(/\.000Z$/, "Z") ?? null;
  const later = !!endIso && endIso > b.end;
  const priced = useQuery(later ? `extension:${b.reservation_id}:${b.end}:${endIso}` : null, () => quoteExtension(b.reservation_id, endIso ?? ""));
  const key = useAttemptKey(`${b.end}|${endIso}`);
  const go = useMutation(() => extend(b.reservation_id, endIso ?? "", key));
  const problem = go.problem ?? (priced.status === "error" ? priced.problem : undefined);
  const q = priced.status === "success" ? priced.data : undefined;
  return (
    <form class="form" noValidate onSubmit={async (e) => {
      e.preventDefault();
      if ((await go.submit(undefined)).ok) onDone();
    }} aria-labelledby="extend-title">
      <h3 id="extend-title">Extend</h3>
      <Field label="New end" type="datetime-local" value={end} onValue={(v) => { setEnd(v); go.reset(); }} step={900}
        hint={`In ${zoneLabel(zone)}.`} error={!later && end ? "Choose a time after the current end." : fieldError(problem, "end")} />
      {q && <p class="quote" aria-label="Price of the extension">Until {instantText(q.end, zone)}: <strong>{money(q.extra_minor, q.currency)} more</strong>, {money(q.price_minor, q.currency)} in total.</p>}
      {later && priced.status === "loading" && <Loading label="Working out the price…" />}
      <ProblemNotice problem={problem} retry={() => (go.problem ? void go.submit(undefined) : priced.retry())} fields={["end"]} />
      <button type="submit" class="button" disabled={!q || go.status === "pending"}>
        {go.status === "pending" ? "Extending…" : q ? `Extend for ${money(q.extra_minor, q.currency)} more` : "Extend"}
      </button>
    </form>
  );
}

function CancelPanel({ b, asSharer, onDone }: { b: Booking; asSharer: boolean; onDone: () => void }) {
  const [asking, setAsking] = useState(false);
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (asking) panel.current?.scrollIntoView({ block: "center" });
  }, [asking]);
  const key = useAttemptKey(b.reservation_id);
  const go = useMutation(() => cancel(b.reservation_id, key));
  const terms = b.cancellation;
  if (!terms) return null;
  if (!asking) return <button type="button" class="button button--secondary" onClick={() => setAsking(true)}>Cancel the booking…</button>;
  const c = b.currency;
  const what = asSharer
    ? `The parker pays nothing and is refunded in full (${money(terms.refund_minor, c)}).`
    : terms.fee_minor === 0
      ? `Cancelling now is free: you pay nothing, and the ${money(terms.refund_minor, c)} is not charged.`
      : `The booking has started: cancelling now costs ${money(terms.fee_minor, c)}${terms.refund_minor ? `, and ${money(terms.refund_minor, c)} is refunded` : ""}.`;
  return (
    <div class="confirm" role="group" aria-labelledby="cancel-title" ref={panel}>
      <h3 id="cancel-title">Cancel this booking?</h3>
      <p aria-label="What cancelling costs">{what}</p>
      <ProblemNotice problem={go.problem} retry={() => void go.submit(undefined)} />
      <div class="actions">
        <button type="button" class="button button--danger" disabled={go.status === "pending"} onClick={async () => {
          if ((await go.submit(undefined)).ok) onDone();
        }}>{go.status === "pending" ? "Cancelling…" : "Yes, cancel the booking"}</button>
        <button type="button" class="button button--secondary" onClick={() => setAsking(false)}>Keep the booking</button>
      </div>
    </div>
  );
}

function PhotoLinks({ b, zone }: { b: Booking; zone: string }) {
  const sets = useQuery(`photos:${b.reservation_id}`, (signal) => photoSets(b.reservation_id, signal));
  const recorded = new Set((sets.data ?? []).filter((s) => s.status === "recorded").map((s) => s.phase));
  const link = (phase: string, text: string) => <a class="button" href={href(`/bookings/${encodeURIComponent(b.reservation_id)}/photos/${phase}`)}>{text}</a>;
  return (
    <>
    <section class="panel" aria-labelledby="photos-title">
      <h2 id="photos-title">Photos of the car</h2>
      <ProblemNotice problem={sets.problem} retry={sets.retry} />
      <ul class="plain">
        <li>Arrival: {recorded.has("arrival") ? "recorded on the ledger" : "not taken"}</li>
        <li>Departure: {recorded.has("departure") ? "recorded on the ledger" : "not taken"}</li>
      </ul>
      {b.state === "entered" && sets.data && !recorded.has("arrival") && link("arrival", "Take the arrival photos")}
      {b.state === "entered" && sets.data && recorded.has("arrival") && !recorded.has("departure") && link("departure", "Take the departure photos")}
      {b.state === "entered" && <p class="hint">Four photos (front, rear, left, right) when you park, and again before you leave: proof of the car's condition if something happens.</p>}
    </section>
    {recorded.size > 0 && <EvidencePanel orderId={b.reservation_id} inCarPark={!!b.carpark_id} zone={zone} />}
    </>
  );
}

function CardReminder() {
  const card = useQuery("card:mine", myCard);
  if (card.status !== "success" || card.data) return null;
  return <Notice kind="warn"><p>Save a card so you pay automatically when you leave. <a href={href("/account/payment")}>Save a card</a></p></Notice>;
}

export function BookingScreen({ bookingId, justBooked }: { bookingId: string; justBooked: boolean }) {
  const session = useSession();
  const booking = useQuery(`booking:${bookingId}`, (signal) => getBooking(bookingId, signal));
  const b = booking.data;
  const space = useQuery(b ? `space:${b.space_id}` : null, (signal) => getSpace(b?.space_id ?? "", signal));
  const s: Space | undefined = space.data;
  const now = useNow(1000);
  const [done, setDone] = useState<string | null>(null);
  const zone = s?.timezone;
  const asParker = !!b && b.parker_id === session?.userId;
  const phase = b ? phaseOf(b, now) : "past";
  const changed = (what: string) => { setDone(what); booking.retry(); invalidate("bookings:"); invalidate("space-bookings:"); };
  // While the car is in, the gate may let it out at any moment, and billing and payment follow within seconds: the
  // screen follows them (and looks again whenever the app comes back to the front).
  const settling = !!b && (b.state === "exited" || b.state === "billed" || b.state === "paid") && b.payment_status !== "failed";
  const every = settling ? 3000 : b?.state === "entered" ? 5000 : 0;
  useEffect(() => {
    if (!every) return;
    const timer = setInterval(booking.retry, every);
    return () => clearInterval(timer);
  }, [every]);
  useEffect(() => {
    const back = () => document.visibilityState === "visible" && booking.retry();
    document.addEventListener("visibilitychange", back);
    return () => document.removeEventListener("visibilitychange", back);
  }, []);

  return (
    <Page title={s?.title ?? "Booking"} actions={<a class="back" href={href(asParker || !b ? "/bookings" : "/sharer/bookings")}>All bookings</a>}>
      {(!b || !s) && !booking.problem && !space.problem && <Loading label="Loading the booking…" />}
      <ProblemNotice problem={booking.problem ?? space.problem} retry={() => { booking.retry(); space.retry(); }} />
      {b && s && zone && (
        <div class="detail">
          {justBooked && !done && <Notice kind="success"><p>Reserved. The gate will recognise the plate {b.plate}.</p></Notice>}
          {done && <Notice kind="success"><p>{done}</p></Notice>}
          <p class={`status status--${b.state}`}>{STATE_TEXT[b.state] ?? b.state}</p>
          <p class="when">{windowText(b.start, b.end, zone)}</p>
          <Countdown b={b} now={now} />
          <p class="muted">{s.address}{b.lot ? ` · lot ${b.lot}` : ""} · plate {b.plate} · {money(b.price_minor, b.currency)}</p>
          {asParker && phase !== "past" && <CardReminder />}
          {phase !== "past" && (
            <>
              <h2>Directions</h2>
              <Directions space={s} />
            </>
          )}
          {asParker && (b.state === "reserved" || b.state === "entered") && phase !== "past" && (
            <section class="panel"><ExtendPanel key={b.end} b={b} zone={zone} onDone={() => changed("Extended. The new end and price are shown above.")} /></section>
          )}
          <CancelPanel b={b} asSharer={!asParker} onDone={() => changed("Cancelled. The time is free again.")} />
          {(b.bill || b.amount_due_minor > 0) && <Receipt b={b} zone={zone} />}
          {asParker && b.state !== "reserved" && b.state !== "cancelled" && b.state !== "no_show" && <PhotoLinks b={b} zone={zone} />}
        </div>
      )}
    </Page>
  );
}

export default BookingScreen;
