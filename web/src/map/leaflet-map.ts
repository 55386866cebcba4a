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

function baseMap(element: HTMLElement, config: MapConfig, center: [number, number] = config.center, zoom = config.zoom): L.Map {
  // No zoom animation: a screen left while one runs removed the map under it, and Leaflet's animation end then read a
  // removed pane ("Cannot read properties of undefined (reading '_leaflet_pos')", seen in the journey test).
  const map = L.map(element, { center, zoom, zoomAnimation: false, attributionControl: config.tiles !== null });
  if (config.tiles) L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
  else element.classList.add("map--offline");
  L.control.scale({ imperial: false }).addTo(map);
  for (const place of places) {
    L.marker([place.lat, place.lng], { icon: label(place.name, "place-label"), interactive: false, keyboard: false }).addTo(map);
  }
  return map;
}

export interface PickerController {
  /** Moves the pin (typed coordinates) without calling back. */
  place: (at: [number, number] | null) => void;
  destroy: () => void;
}

/** A map to pick a position on: a tap (or a drag of the pin) calls `onPick`; typed coordinates move the pin. */
export function createPicker(element: HTMLElement, config: MapConfig, initial: [number, number] | null,
  onPick: (at: [number, number]) => void): PickerController {
  const map = baseMap(element, config, initial ?? config.center, initial ? 17 : 15);
  let pin: L.Marker | null = null;
  const round = (n: number) => Number(n.toFixed(6));
  const place = (at: [number, number] | null) => {
    if (!at) {
      pin?.remove();
      pin = null;
      return;
    }
    if (!pin) {
      pin = L.marker(at, { icon: label("Your space", "center-pin"), draggable: true, keyboard: false, title: "Your space" }).addTo(map);
      pin.on("dragend", () => {
        const p = pin?.getLatLng();
        if (p) onPick([round(p.lat), round(p.lng)]);
      });
    } else pin.setLatLng(at);
    if (!map.getBounds().contains(at)) map.panTo(at);
  };
  map.on("click", (e: L.LeafletMouseEvent) => {
    const at: [number, number] = [round(e.latlng.lat), round(e.latlng.lng)];
    place(at);
    onPick(at);
  });
  place(initial);
  return { place, destroy: () => map.stop().remove() };
}

export function createMap(element: HTMLElement, config: MapConfig, onSelect: (id: string) => void): MapController {
  const map = baseMap(element, config);
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
      // a lone space is shown a step further out, so the offline base's nearest place names give it context
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: pins.length ? 16 : 15, animate: false });
    },
    select(id) {
      markers.forEach((marker, key) => marker.getElement()?.classList.toggle("price-pin--selected", key === id));
    },
    destroy() {
      map.stop();
      map.remove();
    },
  };
}
