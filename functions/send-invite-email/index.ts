// send-invite-email: the Deno shim of the Rust crate beside it (Cargo.toml, src/lib.rs), built to ./pkg/.
import * as glue from "./pkg/send_invite_email.js";
import { serveWasm } from "../_shared/wasm_host.ts";

// The module bytes are a static file of the deployment (supabase/config.toml).
await serveWasm("send-invite-email", glue, new URL("./pkg/send_invite_email_bg.wasm", import.meta.url));
