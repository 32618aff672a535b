// user-onboarding: Rust compiled to WebAssembly; see functions/user-onboarding.
import * as wasm from "./pkg/user_onboarding.js";
import { serveWasm } from "../_shared/wasm_host.ts";

serveWasm("user-onboarding", wasm, new URL("./pkg/user_onboarding.js", import.meta.url));
