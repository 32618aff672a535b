// accept-invite: Rust compiled to WebAssembly; see functions/accept-invite.
import * as wasm from "./pkg/accept_invite.js";
import { serveWasm } from "../_shared/wasm_host.ts";

serveWasm("accept-invite", wasm, new URL("./pkg/accept_invite.js", import.meta.url));
