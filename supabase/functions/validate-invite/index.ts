// validate-invite: Rust compiled to WebAssembly; see functions/validate-invite.
import * as wasm from "./pkg/validate_invite.js";
import { serveWasm } from "../_shared/wasm_host.ts";

serveWasm("validate-invite", wasm, new URL("./pkg/validate_invite.js", import.meta.url));
