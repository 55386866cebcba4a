import { MapView } from "../map/MapView";
import type { SearchAnswer } from "../search/api";
import { attributeNames } from "../search/ResultList";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { money, windowText, zoneLabel } from "../ui/format";
import { cached, useQuery } from "../ui/query";
import { href } from "../ui/router";
import { getSpace } from "./api";
import { describeWindow } from "./windows";

export function SpaceScreen({ spaceId, searchParams }: { spaceId: string; searchParams: string }) {
  const space = useQuery(`space:${spaceId}`, (signal) => getSpace(spaceId, signal));
  const found = searchParams ? cached<SearchAnswer>(`search?${searchParams}`) : undefined;
  const hit = found?.results.find((h) => h.space_id === spaceId);
  const back = href("/", new URLSearchParams(searchParams));
  const s = space.data;

  return (
    <Page title={s?.title ?? "Parking space"} actions={<a class="back" href={back}>Back to results</a>}>
      {space.status === "loading" && !s && <Loading label="Loading the space…" />}
      <ProblemNotice problem={space.problem} retry={space.retry} />
      {s && (
        <div class="detail">
          <p class="muted">{s.address}{s.lot ? ` · lot ${s.lot}` : ""}</p>
          {hit && found && (
            <div class="quote" aria-label="Price for your window">
              <p class="quote-total"><strong>{money(hit.total_price_minor, hit.currency)}</strong> in total</p>
              <p>{windowText(found.start, found.end, s.timezone)}</p>
            </div>
          )}
          <h2>Features</h2>
          <ul class="tags">
            {attributeNames(s.attributes).map((a) => <li key={a}>{a}</li>)}
            <li>Fits a {String(s.attributes.vehicle_size ?? "medium")} car</li>
          </ul>
          <h2>When it is offered</h2>
          <p class="hint">Times in {zoneLabel(s.timezone)}.</p>
          <ul class="plain">{s.windows.map((w) => <li key={w.window_id}>{describeWindow(w, s.currency, s.timezone)}</li>)}</ul>
          {s.booked.length > 0 && (
            <>
              <h2>Already booked</h2>
              <ul class="plain">{s.booked.map((b) => <li key={b.start}>{windowText(b.start ?? "", b.end ?? "", s.timezone)}</li>)}</ul>
            </>
          )}
          <MapView label={`Map: where ${s.title} is`} center={[s.lat, s.lng]} centerLabel={s.title} pins={[]} />
        </div>
      )}
    </Page>
  );
}
