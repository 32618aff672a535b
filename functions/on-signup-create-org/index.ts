// on-signup-create-org: the Deno shim of the Rust crate beside it (Cargo.toml, src/lib.rs), built to ./pkg/.
import * as glue from "./pkg/on_signup_create_org.js";
import { serveWasm } from "../_shared/wasm_host.ts";

// The module bytes are a static file of the deployment (supabase/config.toml).
await serveWasm("on-signup-create-org", glue, new URL("./pkg/on_signup_create_org_bg.wasm", import.meta.url));
