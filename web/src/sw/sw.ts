/// <reference lib="webworker" />
// The service worker: the app shell (this build's files) is cached so the apps open offline. Nothing else is:
// API answers hold personal data and are never cached here (they are cross-origin, and only shell files are kept).

declare const self: ServiceWorkerGlobalScope;

interface Shell {
  build: string;
  files: string[];
}

// Replaced at build time by vite.config.ts (shellManifest) with this build's file list.
const SHELL: Shell = JSON.parse("__CARPARKER_SHELL__") as Shell;
const CACHE = `carparker-shell-${SHELL.build}`;
const CONFIG_CACHE = "carparker-config";
const PAGES = ["/", "/console/"];
const FILES = new Set([...PAGES, ...SHELL.files.map((f) => `/${f}`)]);

self.addEventListener("install", (event) => {
  // The config too: the page that installed this worker fetched it before the worker could keep a copy.
  const config = caches.open(CONFIG_CACHE).then((cache) => cache.add("/config.json")).catch(() => undefined);
  event.waitUntil(Promise.all([caches.open(CACHE).then((cache) => cache.addAll([...FILES])), config]));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("carparker-shell-") && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

// The page asks before a new version takes over, so a running page never loses the files it was built with.
self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") void self.skipWaiting();
});

async function fromShell(request: Request, key: string): Promise<Response> {
  const hit = await caches.match(key, { cacheName: CACHE });
  return hit ?? fetch(request);
}

/** The runtime config: fresh when online, the last one seen when not (it names hosts, never a person). */
async function config(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok) await (await caches.open(CONFIG_CACHE)).put("/config.json", response.clone());
    return response;
  } catch (error) {
    const hit = await caches.match("/config.json", { cacheName: CONFIG_CACHE });
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return; // the API and anything else: network only
  if (url.pathname === "/config.json") {
    event.respondWith(config(request));
  } else if (request.mode === "navigate" && (url.pathname === "/" || url.pathname === "/index.html")) {
    event.respondWith(fromShell(request, "/"));
  } else if (request.mode === "navigate" && url.pathname.startsWith("/console")) {
    event.respondWith(fromShell(request, "/console/"));
  } else if (FILES.has(url.pathname)) {
    event.respondWith(fromShell(request, url.pathname));
  }
});

export {};
