// Leaflet behind a small controller. The default base is offline: the gazetteer's place names on a plain
// background, a scale and the pins; a tile layer only when the runtime config names a tile source.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import "./map.css";
import type { MapConfig } from "../config/runtime";
import type { Pin } from "./MapView";
import places from "./places.json";

export interface MapController {
  show: (center: [number, number], centerLabel: string, pins: Pin[]) => void;
  select: (id: string | null) => void;
  destroy: () => void;
}

function escape(text: string): string {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}

function label(text: string, className: string): L.DivIcon {
  return L.divIcon({ className, html: `<span>${escape(text)}</span>`, iconSize: undefined as unknown as L.PointExpression });
}

export function createMap(element: HTMLElement, config: MapConfig, onSelect: (id: string) => void): MapController {
  const map = L.map(element, { center: config.center, zoom: config.zoom, attributionControl: config.tiles !== null });
  if (config.tiles) L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
  else element.classList.add("map--offline");
  L.control.scale({ imperial: false }).addTo(map);
  for (const place of places) {
    L.marker([place.lat, place.lng], { icon: label(place.name, "place-label"), interactive: false, keyboard: false }).addTo(map);
  }
  const layer = L.layerGroup().addTo(map);
  const markers = new Map<string, L.Marker>();

  return {
    show(center, centerLabel, pins) {
      layer.clearLayers();
      markers.clear();
      L.marker(center, { icon: label(centerLabel, "center-pin"), keyboard: false, interactive: false, zIndexOffset: 1000 }).addTo(layer);
      for (const pin of pins) {
        const marker = L.marker([pin.lat, pin.lng], { icon: label(pin.label, "price-pin"), title: pin.title, riseOnHover: true })
          .on("click", () => onSelect(pin.id))
          .addTo(layer);
        // Leaflet makes a keyboard marker a role=button named by its text; the price alone says too little.
        marker.getElement()?.setAttribute("aria-label", pin.title);
        markers.set(pin.id, marker);
      }
      const bounds = L.latLngBounds([center, ...pins.map((p) => [p.lat, p.lng] as [number, number])]);
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    },
    select(id) {
      markers.forEach((marker, key) => marker.getElement()?.classList.toggle("price-pin--selected", key === id));
    },
    destroy() {
      map.remove();
    },
  };
}
