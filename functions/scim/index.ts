// scim: the Deno shim of the Rust crate beside it (Cargo.toml, src/lib.rs), built to ./pkg/.
import * as glue from "./pkg/scim.js";
import { serveWasm } from "../_shared/wasm_host.ts";

// The module bytes are a static file of the deployment (supabase/config.toml).
await serveWasm("scim", glue, new URL("./pkg/scim_bg.wasm", import.meta.url));
