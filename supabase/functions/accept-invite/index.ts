// accept-invite: Rust compiled to WebAssembly; see functions/accept-invite.
import * as glue from "./pkg/accept_invite.js";
import { serveWasm } from "../_shared/wasm_host.ts";

// The module bytes are a static file of the deployment (supabase/config.toml).
await serveWasm("accept-invite", glue, new URL("./pkg/accept_invite_bg.wasm", import.meta.url));
