import { useSession } from "../auth/session";
import { useConfig } from "../config/context";
import { MapView } from "../map/MapView";
import { formFromParams, type SearchAnswer } from "../search/api";
import { attributeNames } from "../search/ResultList";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { localInputValue, windowText, zoneLabel } from "../ui/format";
import { cached, useQuery } from "../ui/query";
import { href } from "../ui/router";
import { getSpace, type Space } from "./api";
import { carryWindow, ReservePanel } from "./ReservePanel";
import { describeWindow } from "./windows";

function initialWindow(searchParams: string, searchZone: string, space: Space): { start: string; end: string } {
  const form = formFromParams(new URLSearchParams(searchParams), { start: "", end: "" });
  if (form.start && form.end) return carryWindow(form.start, form.end, searchZone, space.timezone);
  const start = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
  return { start: localInputValue(start, space.timezone), end: localInputValue(new Date(start.getTime() + 2 * 3_600_000), space.timezone) };
}

export function Directions({ space }: { space: Space }) {
  const nav = space.navigation ?? {};
  const links: [string, string | undefined][] = [["Open in your maps app", nav.geo], ["Google Maps", nav.google_maps],
    ["Apple Maps", nav.apple_maps], ["OpenStreetMap", nav.openstreetmap]];
  return (
    <ul class="links" aria-label={`Directions to ${space.title}`}>
      {links.filter((l): l is [string, string] => !!l[1]).map(([text, url]) => (
        <li key={text}><a href={url} target="_blank" rel="noopener noreferrer">{text}</a></li>
      ))}
    </ul>
  );
}

export function SpaceScreen({ spaceId, searchParams }: { spaceId: string; searchParams: string }) {
  const config = useConfig();
  const session = useSession();
  const space = useQuery(`space:${spaceId}`, (signal) => getSpace(spaceId, signal));
  const found = searchParams ? cached<SearchAnswer>(`search?${searchParams}`) : undefined;
  const back = searchParams ? href("/", new URLSearchParams(searchParams)) : href("/");
  const s = space.data;
  const mine = !!s && s.owner_id === session?.userId;

  return (
    <Page title={s?.title ?? "Parking space"} actions={<a class="back" href={back}>{found ? "Back to results" : "Back to search"}</a>}>
      {space.status === "loading" && !s && <Loading label="Loading the space…" />}
      <ProblemNotice problem={space.problem} retry={space.retry} />
      {s && (
        <div class="detail">
          <p class="muted">{s.address}{s.lot ? ` · lot ${s.lot}` : ""}</p>
          {mine
            ? <p class="notice notice--info">This is your space. <a href={href(`/my-spaces/${encodeURIComponent(s.space_id)}`)}>Manage it</a></p>
            : <ReservePanel key={s.space_id} space={s} initial={initialWindow(searchParams, config.timeZone, s)} />}
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
          <h2>Where it is</h2>
          <Directions space={s} />
          <MapView label={`Map: where ${s.title} is`} center={[s.lat, s.lng]} centerLabel={s.title} pins={[]} />
        </div>
      )}
    </Page>
  );
}

export default SpaceScreen;
