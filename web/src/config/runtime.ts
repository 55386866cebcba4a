// The runtime config: one build serves every stage; /config.json beside the app says where the API is.

export interface MapConfig {
  /** A tile URL template ({z}/{x}/{y}); null: the offline base (place names on a plain background). */
  tiles: string | null;
  attribution: string;
  center: [number, number];
  zoom: number;
}

export interface RuntimeConfig {
  apiBaseUrl: string;
  stage: string;
  /** The zone times are entered in before a search names its spaces' zone. */
  timeZone: string;
  map: MapConfig;
  /** The payment provider's hosted card fields (a page of its own origin); null: no card form on this stage. */
  payments: { hostedFieldsUrl: string | null };
}

export class ConfigError extends Error {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

export function parseConfig(raw: unknown): RuntimeConfig {
  if (!isObject(raw) || typeof raw.apiBaseUrl !== "string" || !/^https?:\/\//.test(raw.apiBaseUrl)) {
    throw new ConfigError("config.json must name apiBaseUrl (http or https)");
  }
  const map = isObject(raw.map) ? raw.map : {};
  const payments = isObject(raw.payments) ? raw.payments : {};
  const fields = typeof payments.hostedFieldsUrl === "string" && /^https?:\/\//.test(payments.hostedFieldsUrl) ? payments.hostedFieldsUrl : null;
  const center = Array.isArray(map.center) && map.center.length === 2 ? (map.center as [number, number]) : [52.3731, 4.8926];
  return {
    apiBaseUrl: raw.apiBaseUrl.replace(/\/+$/, ""),
    stage: typeof raw.stage === "string" ? raw.stage : "unknown",
    timeZone: typeof raw.timeZone === "string" ? raw.timeZone : Intl.DateTimeFormat().resolvedOptions().timeZone,
    map: {
      tiles: typeof map.tiles === "string" && map.tiles ? map.tiles : null,
      attribution: typeof map.attribution === "string" ? map.attribution : "",
      center: [Number(center[0]), Number(center[1])],
      zoom: typeof map.zoom === "number" ? map.zoom : 14,
    },
    payments: { hostedFieldsUrl: fields },
  };
}

export async function loadConfig(): Promise<RuntimeConfig> {
  const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: "no-cache" });
  if (!response.ok) throw new ConfigError(`config.json answered ${response.status}`);
  return parseConfig(await response.json());
}
