// Test fixture shim, identical in shape to supabase/functions/*/index.ts.
import * as wasm from "./pkg/panic_probe.js";
import { serveWasm } from "../../supabase/functions/_shared/wasm_host.ts";

serveWasm("panic-probe", wasm, new URL("./pkg/panic_probe.js", import.meta.url));
