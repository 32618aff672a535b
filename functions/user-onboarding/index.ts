// user-onboarding: the Deno shim of the Rust crate beside it (Cargo.toml, src/lib.rs), built to ./pkg/.
import * as glue from "./pkg/user_onboarding.js";
import { serveWasm } from "../_shared/wasm_host.ts";

// The module bytes are a static file of the deployment (supabase/config.toml).
await serveWasm("user-onboarding", glue, new URL("./pkg/user_onboarding_bg.wasm", import.meta.url));
