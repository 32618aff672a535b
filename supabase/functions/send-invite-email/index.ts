// send-invite-email: Rust compiled to WebAssembly; see functions/send-invite-email.
import * as glue from "./pkg/send_invite_email.js";
import { serveWasm } from "../_shared/wasm_host.ts";

// The module bytes are a static file of the deployment (supabase/config.toml).
await serveWasm("send-invite-email", glue, new URL("./pkg/send_invite_email_bg.wasm", import.meta.url));
