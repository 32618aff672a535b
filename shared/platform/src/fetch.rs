//! The platform's own `fetch`, for WebAssembly in Deno: the one outbound HTTP path of
//! the functions (PostgREST and third parties alike).
//!
//! Measured under load, reqwest's wasm path (what the `postgrest` crate uses) cost
//! about twice the Deno CPU per request of calling `fetch` directly, and pulled reqwest
//! and `url` into every module. Natively, the same seams use the `postgrest` crate and
//! reqwest. Deadlines use `AbortSignal.timeout`, so a late request is really cancelled.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `fetch(url, init)`: given the URL and the init, not a `Request` built first, which
    /// `fetch` would build again (measured: a `Request` and a `Headers` object fewer per
    /// call, a few percent of an isolate's CPU per request).
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &web_sys::RequestInit) -> js_sys::Promise;
}

pub struct Fetched {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
}

#[derive(Debug)]
pub enum FetchError {
    Timeout,
    Failed(String),
}

/// One request with a deadline covering the whole exchange, body included.
pub async fn fetch(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    timeout_ms: u64,
) -> Result<Fetched, FetchError> {
    let failed = |err: JsValue| {
        // AbortSignal.timeout rejects with a DOMException named "TimeoutError".
        let timed_out = js_sys::Reflect::get(&err, &"name".into())
            .ok()
            .and_then(|name| name.as_string())
            .is_some_and(|name| name == "TimeoutError");
        if timed_out {
            FetchError::Timeout
        } else {
            FetchError::Failed(err.as_string().unwrap_or_else(|| format!("{err:?}")))
        }
    };
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    // As name/value pairs: `fetch` makes its own `Headers` of them.
    let pairs = js_sys::Array::new();
    for (name, value) in headers {
        pairs.push(&js_sys::Array::of2(&(*name).into(), &(*value).into()));
    }
    init.set_headers(&pairs);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(
        timeout_ms.min(u32::MAX as u64) as u32,
    )));
    let response: web_sys::Response = JsFuture::from(global_fetch(url, &init))
        .await
        .map_err(failed)?
        .into();
    let retry_after = response.headers().get("retry-after").ok().flatten();
    let text = JsFuture::from(response.text().map_err(failed)?)
        .await
        .map_err(failed)?;
    Ok(Fetched {
        status: response.status(),
        retry_after,
        body: text.as_string().unwrap_or_default(),
    })
}
