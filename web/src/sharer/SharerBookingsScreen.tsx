// Bookings on my spaces, as a sharer: who is coming, who is parked, what is done.
import { BookingCard } from "../bookings/BookingsScreen";
import { phaseOf, sharerBookings, spacesOf } from "../bookings/api";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { useQuery } from "../ui/query";
import { href } from "../ui/router";
import { useNow } from "../ui/time";

export function SharerBookingsScreen() {
  const list = useQuery("bookings:sharer", sharerBookings);
  const items = list.data?.items ?? [];
  const ids = items.map((b) => b.space_id);
  const spaces = useQuery(ids.length ? `spaces:${[...new Set(ids)].sort().join(",")}` : null, (signal) => spacesOf(ids, signal));
  const now = useNow(30_000);
  const groups = [["Now", "active"], ["Upcoming", "upcoming"], ["Past", "past"]] as const;
  return (
    <Page title="Bookings on my spaces" actions={<a class="back" href={href("/my-spaces")}>My spaces</a>}>
      {list.status === "loading" && !list.data && <Loading label="Loading the bookings…" />}
      <ProblemNotice problem={list.problem ?? spaces.problem} retry={() => { list.retry(); spaces.retry(); }} />
      {list.data && items.length === 0 && <p>Nobody has booked your spaces yet.</p>}
      {items.length > 0 && groups.map(([heading, phase]) => {
        const mine = items.filter((b) => phaseOf(b, now) === phase);
        return mine.length === 0 ? null : (
          <section key={phase} aria-labelledby={`sharer-${phase}`}>
            <h2 id={`sharer-${phase}`}>{heading}</h2>
            <ul class="cards">{mine.map((b) => <BookingCard key={b.reservation_id} b={b} space={spaces.data?.[b.space_id]} />)}</ul>
          </section>
        );
      })}
    </Page>
  );
}

export default SharerBookingsScreen;
