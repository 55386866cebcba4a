// A week of the space at a glance: offered time in light blue, booked time in dark blue, each also said in words.
import { useState } from "preact/hooks";
import type { Space } from "../spaces/api";
import { zoneLabel } from "../ui/format";
import { type Day, hhmm, mondayOf, type Segment, week, weekAfter } from "./week";

function dayName(date: string): string {
  return new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }).format(new Date(`${date}T12:00:00Z`));
}

function words(segments: Segment[]): string {
  return segments.map((s) => `${hhmm(s.from)}–${hhmm(s.to)}`).join(", ");
}

function Bar({ day }: { day: Day }) {
  const at = (s: Segment, kind: string) => (
    <span key={`${kind}${s.from}`} class={`seg seg--${kind}`} style={{ left: `${(s.from / 1440) * 100}%`, width: `${((s.to - s.from) / 1440) * 100}%` }} />
  );
  return <div class="bar" aria-hidden="true">{day.offered.map((s) => at(s, "offered"))}{day.booked.map((s) => at(s, "booked"))}</div>;
}

export function WeekView({ space }: { space: Space }) {
  const [monday, setMonday] = useState(() => mondayOf(new Date(), space.timezone));
  const days = week(space, monday);
  return (
    <section aria-labelledby="week-title">
      <div class="week-head">
        <h3 id="week-title">Week of {dayName(monday)}</h3>
        <div class="actions">
          <button type="button" class="button button--small button--secondary" onClick={() => setMonday(weekAfter(monday, -1))}>Previous week</button>
          <button type="button" class="button button--small button--secondary" onClick={() => setMonday(weekAfter(monday, 1))}>Next week</button>
        </div>
      </div>
      <p class="hint"><span class="key key--offered" /> offered <span class="key key--booked" /> booked · times in {zoneLabel(space.timezone)}</p>
      <table class="week">
        <caption class="sr-only">Offered and booked time, week of {dayName(monday)}</caption>
        <thead><tr><th scope="col">Day</th><th scope="col"><span class="scale"><span>0</span><span>6</span><span>12</span><span>18</span><span>24</span></span></th></tr></thead>
        <tbody>
          {days.map((d) => (
            <tr key={d.date}>
              <th scope="row">{dayName(d.date)}</th>
              <td>
                <Bar day={d} />
                <span class="day-words">{d.offered.length ? `Offered ${words(d.offered)}` : "Not offered"}{d.booked.length ? `; booked ${words(d.booked)}` : ""}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
