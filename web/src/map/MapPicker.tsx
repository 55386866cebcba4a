// Pick a position on the map (a tap or a drag); the coordinates beside it can be typed too, so the map is never the
// only way (keyboards, screen readers).
import { useEffect, useRef, useState } from "preact/hooks";
import { useConfig } from "../config/context";
import type { PickerController } from "./leaflet-map";

export function MapPicker({ label, at, onPick }: { label: string; at: [number, number] | null; onPick: (at: [number, number]) => void }) {
  const config = useConfig();
  const element = useRef<HTMLDivElement>(null);
  const [picker, setPicker] = useState<PickerController | null>(null);
  const [failed, setFailed] = useState(false);
  const pick = useRef(onPick);
  pick.current = onPick;
  const first = useRef(at);

  useEffect(() => {
    let controller: PickerController | null = null;
    let cancelled = false;
    import("./leaflet-map").then(({ createPicker }) => {
      if (cancelled || !element.current) return;
      controller = createPicker(element.current, config.map, first.current, (p) => pick.current(p));
      setPicker(controller);
    }, () => setFailed(true));
    return () => {
      cancelled = true;
      controller?.destroy();
    };
  }, [config.map]);
  useEffect(() => picker?.place(at), [picker, at?.[0], at?.[1]]);

  return (
    <div class="map-wrap">
      <div ref={element} class="map map--picker" role="region" aria-label={label} />
      {failed && <p class="notice notice--warn" role="status">The map could not load; type the coordinates instead.</p>}
    </div>
  );
}
