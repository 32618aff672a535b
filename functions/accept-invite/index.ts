// accept-invite: the Deno shim of the Rust crate beside it (Cargo.toml, src/lib.rs), built to ./pkg/.
import * as glue from "./pkg/accept_invite.js";
import { serveWasm } from "../_shared/wasm_host.ts";

// The module bytes are a static file of the deployment (supabase/config.toml).
await serveWasm("accept-invite", glue, new URL("./pkg/accept_invite_bg.wasm", import.meta.url));
