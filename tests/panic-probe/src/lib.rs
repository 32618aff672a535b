//! Test fixture: an edge function built with the same bridge and host as the real ones,
//! which panics when asked to. The end-to-end tests use it to show that a Rust panic
//! (synchronous, or inside an async future after an await) yields a JSON 500 and that
//! the server, this function and the other functions keep answering afterwards; and
//! (`allocate`) that an isolate past its memory limit is restarted.
#![allow(clippy::panic)]

use edge::{runtime, ApiError, ConfigError, EdgeFunction, Env, HttpRequest, HttpResponse};
use serde_json::json;

pub struct PanicProbe;

impl EdgeFunction for PanicProbe {
    const NAME: &'static str = "panic-probe";

    fn from_env(_env: &Env) -> Result<Self, ConfigError> {
        Ok(PanicProbe)
    }

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        match request.header("x-probe").unwrap_or("") {
            "panic-now" => panic!("probe: synchronous panic on request"),
            "panic-later" => {
                runtime::sleep(5).await;
                panic!("probe: panic inside an async future");
            }
            "allocate" => {
                // 300 MB of WebAssembly memory held across an await: past the isolate's
                // 256 MB limit while the request is in flight.
                let hog = vec![1u8; 300 * 1024 * 1024];
                runtime::sleep(2_000).await;
                Ok(HttpResponse::json(
                    200,
                    &json!({ "ok": true, "held": hog.iter().map(|&b| b as usize).sum::<usize>() }),
                ))
            }
            "spin" => {
                // 300 ms of CPU on the isolate's thread: the gateway logs its CPU time.
                let started = runtime::now_ms();
                let mut spins = 0u64;
                while runtime::now_ms() - started < 300.0 {
                    spins = spins.wrapping_add(1);
                }
                Ok(HttpResponse::json(
                    200,
                    &json!({ "ok": true, "spins": spins }),
                ))
            }
            "slow" => {
                runtime::sleep(300).await;
                Ok(HttpResponse::json(
                    200,
                    &json!({ "ok": true, "slow": true }),
                ))
            }
            _ => Ok(HttpResponse::json(200, &json!({ "ok": true }))),
        }
    }
}

#[cfg(target_arch = "wasm32")]
edge::export_to_deno!(crate::PanicProbe);
