// on-signup-create-org: Rust compiled to WebAssembly; see functions/on-signup-create-org.
import * as wasm from "./pkg/on_signup_create_org.js";
import { serveWasm } from "../_shared/wasm_host.ts";

serveWasm("on-signup-create-org", wasm, new URL("./pkg/on_signup_create_org.js", import.meta.url));
