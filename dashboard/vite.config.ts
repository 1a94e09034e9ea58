import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// Preact through esbuild's automatic JSX runtime: no framework plugin needed.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: false },
  logLevel: "warn",
});
