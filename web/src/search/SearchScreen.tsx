import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { fieldError, type Problem } from "../api/errors";
import { useConfig } from "../config/context";
import { MapView, type Pin } from "../map/MapView";
import { Checkbox, Field, Loading, Page, ProblemNotice, Select } from "../ui/components";
import { localInputValue, money, windowText, zoneLabel } from "../ui/format";
import { useQuery } from "../ui/query";
import { navigate, useLocation } from "../ui/router";
import { formFromParams, localErrors, paramsFromForm, search, type SearchForm, type Sort } from "./api";
import { currentPosition } from "./geolocation";
import { ResultList } from "./ResultList";
import places from "../map/places.json";

const SORTS = [["distance", "Nearest first"], ["price", "Cheapest first"]] as const;
const RADII = [["500", "500 m"], ["1000", "1 km"], ["2000", "2 km"], ["5000", "5 km"]] as const;
const FORM_FIELDS = ["q", "start", "end", "min_height_cm", "lat", "lng", "radius_m"];

function defaultWindow(zone: string): { start: string; end: string } {
  const start = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
  return { start: localInputValue(start, zone), end: localInputValue(new Date(start.getTime() + 2 * 3_600_000), zone) };
}

export function SearchScreen() {
  const config = useConfig();
  const zone = config.timeZone;
  const { path, params } = useLocation();
  const submitted = params.has("start") ? params.toString() : null;
  const [form, setForm] = useState<SearchForm>(() => formFromParams(params, defaultWindow(zone)));
  const [local, setLocal] = useState<Record<string, string>>({});
  const [locating, setLocating] = useState<string | null>(null);
  const filtersOn = [form.covered, form.ev, form.accessible, !!form.height.trim()].filter(Boolean).length;
  const [filtersOpen, setFiltersOpen] = useState(filtersOn > 0);
  // Back and forward move between searches: the form follows the URL (our own submits leave it as typed).
  useEffect(() => {
    if (submitted !== null) setForm(formFromParams(new URLSearchParams(submitted), defaultWindow(zone)));
  }, [submitted, zone]);
  const destination = useRef<HTMLInputElement>(null);
  const set = <K extends keyof SearchForm>(key: K) => (value: SearchForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  const answer = useQuery(submitted && `search?${submitted}`, (signal) => search(new URLSearchParams(submitted ?? ""), zone, signal));
  const problem: Problem | undefined = answer.status === "error" ? answer.problem : undefined;
  const errorFor = (field: string) => local[field] ?? fieldError(problem, field);

  // After a search the person asked for, the results' heading takes the focus: announced, and in view on a phone.
  const asked = useRef(false);
  const resultsHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (answer.status !== "success" || !asked.current) return;
    asked.current = false;
    resultsHeading.current?.focus({ preventScroll: true });
    resultsHeading.current?.scrollIntoView({ block: "start" });
  }, [answer.status, submitted]);

  const run = (next: SearchForm) => {
    const errors = localErrors(next, zone);
    setLocal(errors);
    if (Object.keys(errors).length) return;
    asked.current = true;
    const target = new URLSearchParams(Object.entries(paramsFromForm(next)).filter((e): e is [string, string] => !!e[1]));
    if (target.toString() === submitted) answer.retry();
    else navigate(path, target);
  };

  const usePosition = async () => {
    setLocating("Finding your position…");
    const position = await currentPosition();
    if (!position.ok) {
      setLocating(null);
      setLocal({ lat: position.reason });
      setForm((f) => ({ ...f, mode: "destination" }));
      destination.current?.focus();
      return;
    }
    setLocating(null);
    const next: SearchForm = { ...form, mode: "position", lat: String(position.lat), lng: String(position.lng) };
    setForm(next);
    run(next);
  };

  const data = answer.data;
  const [selected, setSelected] = useState<string | null>(null);
  const pins: Pin[] = useMemo(() => (data?.results ?? []).map((hit) => ({
    id: hit.space_id, lat: hit.lat, lng: hit.lng, label: money(hit.total_price_minor, hit.currency),
    title: `${hit.title}, ${money(hit.total_price_minor, hit.currency)} in total`,
  })), [data]);

  return (
    <Page title="Find a parking space">
      <form class="form search-form" noValidate onSubmit={(e) => { e.preventDefault(); run(form); }}>
        {form.mode === "destination" ? (
          <Field label="Destination" value={form.q} onValue={set("q")} list="known-places" autoComplete="off" inputRef={destination}
            placeholder="e.g. Anne Frank House" error={errorFor("q")} enterKeyHint="search" />
        ) : (
          <div class="position">
            <p>Near your position ({form.lat}, {form.lng})</p>
            <button type="button" class="button button--link" onClick={() => setForm((f) => ({ ...f, mode: "destination" }))}>
              Search by destination instead
            </button>
          </div>
        )}
        <datalist id="known-places">{places.map((p) => <option key={p.name} value={p.name} />)}</datalist>
        <div class="position-action">
          <button type="button" class="button button--secondary" onClick={() => void usePosition()} disabled={locating !== null}>
            Use my current position
          </button>
          {locating && <p role="status">{locating}</p>}
          {errorFor("lat") && <p class="field-error" role="alert">{errorFor("lat")}</p>}
        </div>
        <p class="hint" id="zone-note">Times are in {zoneLabel(zone)}.</p>
        <div class="row">
          <Field label="From" type="datetime-local" value={form.start} onValue={set("start")} error={errorFor("start")} step={900} />
          <Field label="Until" type="datetime-local" value={form.end} onValue={set("end")} error={errorFor("end")} step={900} />
        </div>
        <details class="filters" open={filtersOpen} onToggle={(e) => setFiltersOpen(e.currentTarget.open)}>
          <summary>Filters{filtersOn > 0 && <span class="muted"> · {filtersOn} on</span>}</summary>
          <Checkbox label="Covered" checked={form.covered} onChange={set("covered")} />
          <Checkbox label="EV charger" checked={form.ev} onChange={set("ev")} />
          <Checkbox label="Accessible" checked={form.accessible} onChange={set("accessible")} />
          <Field label="My vehicle's height (cm)" type="text" inputMode="numeric" value={form.height} onValue={set("height")}
            hint="Shows only spaces with at least this much headroom." error={errorFor("min_height_cm")} />
          <Select label="Within" value={form.radius} options={RADII} onChange={set("radius")} />
        </details>
        <ProblemNotice problem={problem} retry={answer.retry} fields={FORM_FIELDS} />
        <button class="button" type="submit">Search</button>
      </form>

      {answer.status === "loading" && submitted && <Loading label="Searching for free spaces…" />}
      {data && (
        <section class="results" aria-labelledby="results-title">
          <div class="results-head">
            <div>
              <h2 id="results-title" tabIndex={-1} ref={resultsHeading}>
                {data.results.length === 0 ? "No free spaces" : `${data.results.length} free ${data.results.length === 1 ? "space" : "spaces"}`}
                {" "}near {data.place ?? "your position"}
              </h2>
              <p class="window">{windowText(data.start, data.end, data.results[0]?.timezone ?? zone)}</p>
            </div>
            <Select<Sort> label="Sort by" value={form.sort} options={SORTS} onChange={(sort) => {
              const next = { ...form, sort };
              setForm(next);
              run(next);
            }} />
          </div>
          {data.results.length === 0 && <p>Try a wider area, other times or fewer filters.</p>}
          {data.results.length > 0 && (
            <MapView label="Map of the free spaces" center={[data.center.lat ?? 0, data.center.lng ?? 0]} centerLabel={data.place ?? "Your position"}
              pins={pins} selected={selected} onSelect={setSelected} />
          )}
          <ResultList answer={data} selected={selected} searchParams={submitted ?? ""} zone={zone} />
        </section>
      )}
    </Page>
  );
}
