// Test fixture shim, identical in shape to supabase/functions/*/index.ts.
import * as glue from "./pkg/panic_probe.js";
import { serveWasm } from "../../supabase/functions/_shared/wasm_host.ts";

await serveWasm("panic-probe", glue, new URL("./pkg/panic_probe_bg.wasm", import.meta.url));
