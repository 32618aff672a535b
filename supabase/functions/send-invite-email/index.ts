// send-invite-email: Rust compiled to WebAssembly; see functions/send-invite-email.
import * as wasm from "./pkg/send_invite_email.js";
import { serveWasm } from "../_shared/wasm_host.ts";

serveWasm("send-invite-email", wasm, new URL("./pkg/send_invite_email.js", import.meta.url));
