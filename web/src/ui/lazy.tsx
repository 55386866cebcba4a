// Screens other than the first load on demand, each in a chunk of its own, so the first screen stays small
// (web_app_first_load_kb_gz). The service worker caches every chunk with the shell, so they open offline too.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Loading } from "./components";

type Loader<P> = () => Promise<ComponentType<P>>;

export function lazy<P extends object>(load: Loader<P>, label: string): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const fetchOnce = () => {
    pending ??= load().then((c) => (loaded = c), (error: unknown) => {
      pending = null; // a failed chunk (offline, a new deploy) may be asked for again
      throw error;
    });
    return pending;
  };
  return function Lazy(props: P) {
    const [screen, setScreen] = useState<ComponentType<P> | null>(() => loaded);
    const [failed, setFailed] = useState(false);
    const [attempt, setAttempt] = useState(0);
    useEffect(() => {
      if (screen) return;
      let live = true;
      fetchOnce().then((c) => live && setScreen(() => c), () => live && setFailed(true));
      return () => void (live = false);
    }, [attempt]);
    if (screen) {
      const Screen = screen;
      return <Screen {...props} />;
    }
    if (failed) {
      return (
        <div class="notice notice--warn" role="alert">
          <p>This screen could not be loaded. Check your connection and try again.</p>
          <button type="button" class="button button--secondary" onClick={() => { setFailed(false); setAttempt((n) => n + 1); }}>Try again</button>
        </div>
      );
    }
    return <Loading label={`Opening ${label}…`} />;
  };
}
