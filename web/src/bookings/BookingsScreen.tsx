// My bookings as a parker: active, upcoming and past, each in its space's own time zone.
import type { Space } from "../spaces/api";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { money, windowText } from "../ui/format";
import { useQuery } from "../ui/query";
import { href } from "../ui/router";
import { useNow } from "../ui/time";
import { type Booking, myBookings, type Phase, phaseOf, spacesOf, STATE_TEXT } from "./api";

const SECTIONS: [Phase, string, string][] = [
  ["active", "Now", "Nothing is going on right now."],
  ["upcoming", "Upcoming", "No upcoming bookings. Find a space to reserve one."],
  ["past", "Past", "No past bookings yet."],
];

export function BookingCard({ b, space, who }: { b: Booking; space: Space | undefined; who?: string }) {
  const zone = space?.timezone ?? "UTC";
  const title = space?.title ?? "A parking space";
  return (
    <li class="card">
      <h3><a href={href(`/bookings/${encodeURIComponent(b.reservation_id)}`)}>{title}</a></h3>
      <p>{space ? windowText(b.start, b.end, zone) : "…"}</p>
      <p class="muted">{who ?? "Plate"} {b.plate} · {STATE_TEXT[b.state] ?? b.state} · {money(b.amount_due_minor || b.price_minor, b.currency)}</p>
    </li>
  );
}

export function BookingsScreen() {
  const list = useQuery("bookings:mine", myBookings);
  const items = list.data?.items ?? [];
  const ids = items.map((b) => b.space_id);
  const spaces = useQuery(ids.length ? `spaces:${[...new Set(ids)].sort().join(",")}` : null, (signal) => spacesOf(ids, signal));
  const now = useNow(30_000);
  return (
    <Page title="My bookings">
      {list.status === "loading" && !list.data && <Loading label="Loading your bookings…" />}
      <ProblemNotice problem={list.problem ?? spaces.problem} retry={() => { list.retry(); spaces.retry(); }} />
      {list.data && items.length === 0 && <p>You have not booked a space yet. <a href={href("/")}>Find one</a></p>}
      {list.data && items.length > 0 && SECTIONS.map(([phase, heading, empty]) => {
        const mine = items.filter((b) => phaseOf(b, now) === phase);
        if (phase === "active" && mine.length === 0) return null;
        return (
          <section key={phase} aria-labelledby={`bookings-${phase}`}>
            <h2 id={`bookings-${phase}`}>{heading}</h2>
            {mine.length === 0 ? <p class="muted">{empty}</p> : (
              <ul class="cards">{mine.map((b) => <BookingCard key={b.reservation_id} b={b} space={spaces.data?.[b.space_id]} />)}</ul>
            )}
          </section>
        );
      })}
    </Page>
  );
}

export default BookingsScreen;
