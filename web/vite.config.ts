import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// Built into dist/, which the local stack's gateway serves (same origin as the API);
// deployable anywhere else as static files.
export default defineConfig({
  plugins: [preact()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
});
