// A map of pins. Leaflet loads only when a map is first shown (its own chunk), so the first screen stays small.
import { useEffect, useRef, useState } from "preact/hooks";
import { useConfig } from "../config/context";
import type { MapController } from "./leaflet-map";

export interface Pin {
  id: string;
  lat: number;
  lng: number;
  /** short text on the pin (a price) */
  label: string;
  /** the pin's accessible name */
  title: string;
}

export function MapView({ label, center, centerLabel, pins, selected, onSelect }: {
  label: string; center: [number, number]; centerLabel: string; pins: Pin[]; selected?: string | null; onSelect?: (id: string) => void;
}) {
  const config = useConfig();
  const element = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<MapController | null>(null);
  const [failed, setFailed] = useState(false);
  const select = useRef(onSelect);
  select.current = onSelect;

  useEffect(() => {
    let controller: MapController | null = null;
    let cancelled = false;
    import("./leaflet-map").then(
      ({ createMap }) => {
        if (cancelled || !element.current) return;
        controller = createMap(element.current, config.map, (id) => select.current?.(id));
        setMap(controller);
      },
      () => setFailed(true),
    );
    return () => {
      cancelled = true;
      controller?.destroy();
    };
  }, [config.map]);

  useEffect(() => map?.show(center, centerLabel, pins), [map, center[0], center[1], centerLabel, pins]);
  useEffect(() => map?.select(selected ?? null), [map, selected]);

  return (
    <div class="map-wrap">
      <div ref={element} class="map" role="region" aria-label={label} />
      {failed && <p class="notice notice--warn" role="status">The map could not load; the list below has every space.</p>}
    </div>
  );
}
