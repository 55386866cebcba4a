import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { RuntimeConfig } from "./runtime";

export const ConfigContext = createContext<RuntimeConfig | null>(null);

export function useConfig(): RuntimeConfig {
  const config = useContext(ConfigContext);
  if (!config) throw new Error("useConfig() outside <ConfigContext.Provider>");
  return config;
}
