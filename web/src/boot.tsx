// Starting either app: the runtime config first, then the API client, then the screens.
import { type ComponentType, render } from "preact";
import { configureApi } from "./api/client";
import { bearer } from "./auth/session";
import { ConfigContext } from "./config/context";
import { loadConfig } from "./config/runtime";
import { registerServiceWorker } from "./ui/connection";
import "./ui/styles.css";

export async function boot(App: ComponentType): Promise<void> {
  const root = document.getElementById("app");
  if (!root) return;
  registerServiceWorker();
  try {
    const config = await loadConfig();
    configureApi(config.apiBaseUrl, bearer);
    render(<ConfigContext.Provider value={config}><App /></ConfigContext.Provider>, root);
  } catch {
    render(
      <main class="boot-failure">
        <h1>CarParker cannot start</h1>
        <p role="alert">{navigator.onLine ? "Its settings could not be loaded. Please reload in a moment." : "You are offline, and this device has not opened CarParker before. Connect once, and it will open offline after that."}</p>
        <button type="button" class="button" onClick={() => window.location.reload()}>Reload</button>
      </main>,
      root,
    );
  }
}
