// Two apps and one service worker from one build: the parker/sharer app at /, the car-park console at /console/,
// and /sw.js, which learns the shell's file names from this build (see shellManifest below and docs/web.md).
import preact from "@preact/preset-vite";
import { defineConfig, type Plugin } from "vite";

const SHELL_TOKEN = "__CARPARKER_SHELL__";
// Files Vite copies from public/ untouched: part of the shell, but not in the bundle the plugin sees.
const PUBLIC_SHELL = ["manifest.webmanifest", "icons/icon.svg", "icons/icon-192.png", "icons/icon-512.png", "icons/maskable-512.png"];

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/** Writes the list of shell files (and a build id derived from their hashed names) into sw.js. */
function shellManifest(): Plugin {
  return {
    name: "carparker-shell-manifest",
    apply: "build",
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((name) => name !== "sw.js" && !name.endsWith(".map"));
      const shell = [...files, ...PUBLIC_SHELL].sort();
      const manifest = JSON.stringify({ build: fnv1a(shell.join("\n")), files: shell });
      const sw = bundle["sw.js"];
      if (!sw || sw.type !== "chunk") throw new Error("sw.js missing from the bundle");
      const replaced = sw.code.replace(new RegExp(`(["'\`])${SHELL_TOKEN}\\1`), JSON.stringify(manifest));
      if (replaced === sw.code) throw new Error(`${SHELL_TOKEN} not found in sw.js`);
      sw.code = replaced;
    },
  };
}

export default defineConfig({
  base: "/",
  plugins: [preact({ prerender: { enabled: false } }), shellManifest()],
  build: {
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: {
      input: { app: "index.html", console: "console/index.html", sw: "src/sw/sw.ts" },
      output: {
        entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
      },
    },
  },
});
