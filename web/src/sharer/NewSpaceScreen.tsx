// Register a space: what it is, where it is (picked on the map, or typed), its lot and what fits. It is reviewed before
// it can be offered; the next step is the ownership document.
import { useState } from "preact/hooks";
import { fieldError } from "../api/errors";
import { useConfig } from "../config/context";
import { MapPicker } from "../map/MapPicker";
import { currentPosition } from "../search/geolocation";
import { Checkbox, Field, Page, ProblemNotice, Select } from "../ui/components";
import { zoneLabel } from "../ui/format";
import { useAttemptKey } from "../ui/keys";
import { useMutation } from "../ui/query";
import { href, navigate } from "../ui/router";
import { createSpace, type SpaceIn } from "./api";

const SIZES = [["small", "Small car"], ["medium", "Medium car"], ["large", "Large car or van"]] as const;
type Size = (typeof SIZES)[number][0];
const FIELDS = ["title", "address", "lat", "lng", "lot", "carpark_id", "attributes", "timezone"];

function coordinate(text: string, limit: number): number | null {
  const n = Number(text.trim().replace(",", "."));
  return text.trim() && Number.isFinite(n) && Math.abs(n) <= limit ? n : null;
}

export function NewSpaceScreen() {
  const zone = useConfig().timeZone;
  const [title, setTitle] = useState("");
  const [address, setAddress] = useState("");
  const [lat, setLat] = useState("");
  const [lng, setLng] = useState("");
  const [lot, setLot] = useState("");
  const [carpark, setCarpark] = useState("");
  const [covered, setCovered] = useState(false);
  const [ev, setEv] = useState(false);
  const [accessible, setAccessible] = useState(false);
  const [height, setHeight] = useState("");
  const [size, setSize] = useState<Size>("medium");
  const [local, setLocal] = useState<Record<string, string>>({});
  const [locating, setLocating] = useState(false);
  const at: [number, number] | null = coordinate(lat, 90) !== null && coordinate(lng, 180) !== null ? [Number(lat), Number(lng)] : null;

  const body = (): SpaceIn => ({
    title: title.trim(), address: address.trim(), lat: Number(lat), lng: Number(lng), carpark_id: carpark.trim() || null, lot: lot.trim() || null, timezone: zone,
    attributes: { covered, ev_charger: ev, accessible, max_height_cm: height.trim() ? Number(height) : null, vehicle_size: size },
  });
  const key = useAttemptKey(JSON.stringify([title, address, lat, lng, lot, carpark, covered, ev, accessible, height, size]));
  const create = useMutation(() => createSpace(body(), key));
  const problem = create.problem;
  const errorFor = (f: string) => local[f] ?? fieldError(problem, f);

  const submit = async () => {
    const found: Record<string, string> = {};
    if (!title.trim()) found.title = "Give the space a name parkers will recognise, e.g. “Driveway behind the blue gate”.";
    if (address.trim().length < 3) found.address = "Enter the street address.";
    if (coordinate(lat, 90) === null || coordinate(lng, 180) === null) found.lat = "Tap the map where the space is, or type its latitude and longitude.";
    if (height.trim() && !/^\d{3}$/.test(height.trim())) found.max_height_cm = "Enter the headroom in centimetres, 100 to 600.";
    setLocal(found);
    if (Object.keys(found).length) return;
    const done = await create.submit(undefined);
    if (done.ok) navigate(`/my-spaces/${encodeURIComponent(done.data.space_id)}`, { created: "1" });
  };
  const here = async () => {
    setLocating(true);
    const p = await currentPosition();
    setLocating(false);
    if (p.ok) {
      setLat(String(p.lat));
      setLng(String(p.lng));
      setLocal((l) => ({ ...l, lat: "" }));
    } else setLocal((l) => ({ ...l, lat: p.reason }));
  };

  return (
    <Page title="Add a space" actions={<a class="back" href={href("/my-spaces")}>My spaces</a>}>
      <form class="form" noValidate onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <Field label="Name of the space" value={title} onValue={setTitle} maxLength={120} error={errorFor("title")} />
        <Field label="Address" value={address} onValue={setAddress} autoComplete="street-address" maxLength={300} error={errorFor("address")} />
        <fieldset class="fieldset">
          <legend>Where exactly</legend>
          <p class="hint">Tap the map where the car goes, or drag the pin. You can also type the coordinates.</p>
          <MapPicker label="Map: tap where the space is" at={at} onPick={([la, ln]) => { setLat(String(la)); setLng(String(ln)); }} />
          <button type="button" class="button button--secondary" disabled={locating} onClick={() => void here()}>
            {locating ? "Finding your position…" : "I am at the space now"}
          </button>
          <div class="row">
            <Field label="Latitude" inputMode="text" value={lat} onValue={setLat} error={errorFor("lat")} />
            <Field label="Longitude" inputMode="text" value={lng} onValue={setLng} error={errorFor("lng")} />
          </div>
        </fieldset>
        <Field label="Lot or bay number (optional)" value={lot} onValue={setLot} maxLength={32} error={errorFor("lot")} />
        <Field label="Car park code (optional)" value={carpark} onValue={setCarpark} maxLength={64} autoComplete="off"
          hint="If the space is in a car park with a number-plate gate, its code (from the car park). The car park accepts the space before it can be booked."
          error={errorFor("carpark_id")} />
        <fieldset class="fieldset">
          <legend>What it offers</legend>
          <Checkbox label="Covered" checked={covered} onChange={setCovered} />
          <Checkbox label="EV charger" checked={ev} onChange={setEv} />
          <Checkbox label="Accessible (wide bay, step-free)" checked={accessible} onChange={setAccessible} />
          <Field label="Headroom in cm (optional)" inputMode="numeric" value={height} onValue={setHeight}
            error={errorFor("max_height_cm") ?? fieldError(problem, "attributes.max_height_cm")} />
          <Select<Size> label="The largest vehicle that fits" value={size} options={SIZES} onChange={setSize} />
        </fieldset>
        <p class="hint">Its times will be in {zoneLabel(zone)}.</p>
        <ProblemNotice problem={problem} retry={() => void submit()} fields={FIELDS} />
        <button type="submit" class="button" disabled={create.status === "pending"}>{create.status === "pending" ? "Registering…" : "Register the space"}</button>
        <p class="hint">Next you upload a document that shows the space is yours; we review it before the space can be booked.</p>
      </form>
    </Page>
  );
}

export default NewSpaceScreen;
