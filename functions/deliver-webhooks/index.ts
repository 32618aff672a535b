// deliver-webhooks: the Deno shim of the Rust crate beside it (Cargo.toml, src/lib.rs), built to ./pkg/.
import * as glue from "./pkg/deliver_webhooks.js";
import { serveWasm } from "../_shared/wasm_host.ts";

// The module bytes are a static file of the deployment (supabase/config.toml).
await serveWasm("deliver-webhooks", glue, new URL("./pkg/deliver_webhooks_bg.wasm", import.meta.url));
