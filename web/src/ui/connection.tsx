// Says when the device is offline, and when a new version of the app is ready (the service worker waits for a yes).
import { useEffect, useState } from "preact/hooks";

export function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener("online", on);
    window.addEventListener("offline", off);
    return () => {
      window.removeEventListener("online", on);
      window.removeEventListener("offline", off);
    };
  }, []);
  return online;
}

export function OfflineBanner() {
  const online = useOnline();
  if (online) return null;
  return (
    <div class="banner banner--offline" role="status">
      You are offline. The app is here, but searching and signing in need a connection; what you type is kept.
    </div>
  );
}

let waiting: ServiceWorker | null = null;
let updating = false; // the person asked for the new version: reload once it has taken over
const updateListeners = new Set<() => void>();

/** Registers /sw.js (the app shell cache) and notes when a newer version is waiting. */
export function registerServiceWorker(): void {
  if (!("serviceWorker" in navigator) || import.meta.env.DEV) return;
  void navigator.serviceWorker.register("/sw.js", { scope: "/" }).then((registration) => {
    const note = (worker: ServiceWorker | null) => {
      if (worker && navigator.serviceWorker.controller) {
        waiting = worker;
        updateListeners.forEach((l) => l());
      }
    };
    note(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const installing = registration.installing;
      installing?.addEventListener("statechange", () => installing.state === "installed" && note(installing));
    });
  });
  // The first worker also takes over (clients.claim) without a reload: only a version asked for reloads the page.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!updating) return;
    updating = false;
    window.location.reload();
  });
}

export function UpdateBanner() {
  const [ready, setReady] = useState(waiting !== null);
  useEffect(() => {
    const update = () => setReady(true);
    updateListeners.add(update);
    return () => void updateListeners.delete(update);
  }, []);
  if (!ready) return null;
  return (
    <div class="banner" role="status">
      A new version of CarParker is ready.{" "}
      <button type="button" class="button button--small" onClick={() => {
        updating = true;
        waiting?.postMessage("skip-waiting");
      }}>Reload</button>
    </div>
  );
}
