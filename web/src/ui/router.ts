// A hash router: #/path?query. Any static host serves it (no rewrite rules), and the service worker caches one page.
import { useEffect, useState } from "preact/hooks";

export interface Location {
  path: string;
  params: URLSearchParams;
}

function current(): Location {
  const raw = window.location.hash.replace(/^#/, "") || "/";
  const [path = "/", query = ""] = raw.split("?", 2);
  return { path, params: new URLSearchParams(query) };
}

export function href(path: string, params?: Record<string, string | undefined> | URLSearchParams): string {
  const query = params instanceof URLSearchParams ? params : new URLSearchParams(
    Object.entries(params ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""));
  const text = query.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

export function navigate(path: string, params?: Record<string, string | undefined> | URLSearchParams, replace = false): void {
  const target = href(path, params);
  if (replace) window.history.replaceState(null, "", target);
  else window.history.pushState(null, "", target);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return location;
}

/** "/spaces/:id" against "/spaces/abc" gives {id: "abc"}; null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? "";
    const g = got[i] ?? "";
    if (w.startsWith(":")) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return null;
  }
  return params;
}
