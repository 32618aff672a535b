//! The bridge between Deno and an [`EdgeFunction`] compiled to WebAssembly: converts
//! `Request`/`Response`, reads the body with a size limit, times and logs each request.
//!
//! A function crate exports itself with [`export_to_deno!`](crate::export_to_deno),
//! which defines two JavaScript entry points: `configure(env)` (once, at start; throws
//! naming a missing variable; takes a panic callback) and `serve(request)` (per request; never rejects for a
//! handler error, only for a broken instance).

use crate::config::Env;
use crate::error::ApiError;
use crate::function::{respond, respond_error, EdgeFunction};
use crate::http::{HttpRequest, HttpResponse, MAX_BODY_BYTES};
use crate::log::{emit, RequestLog};
use crate::runtime;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    static ON_PANIC: std::cell::RefCell<Option<js_sys::Function>> =
        const { std::cell::RefCell::new(None) };
}

/// Builds the function from a plain JavaScript object of environment variables, and
/// installs a panic hook that logs the panic and then calls `on_panic`, so the host can
/// fail this instance's in-flight requests and start a fresh instance.
pub fn configure<F: EdgeFunction>(env: JsValue, on_panic: js_sys::Function) -> Result<F, JsError> {
    ON_PANIC.with(|slot| *slot.borrow_mut() = Some(on_panic));
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        ON_PANIC.with(|slot| {
            if let Ok(slot) = slot.try_borrow() {
                if let Some(callback) = slot.as_ref() {
                    let _ = callback.call0(&JsValue::NULL);
                }
            }
        });
    }));
    // `Deno.env.toObject()`: every value a string.
    let vars: HashMap<String, String> = serde_wasm_bindgen::from_value(env)
        .map_err(|err| JsError::new(&format!("{}: the environment: {err}", F::NAME)))?;
    F::from_env(&Env::new(vars)).map_err(|err| JsError::new(&format!("{}: {err}", F::NAME)))
}

/// Serves one request. `function` is `None` when `configure` was not called.
pub async fn serve<F: EdgeFunction>(
    function: Option<Rc<F>>,
    request: web_sys::Request,
) -> Result<web_sys::Response, JsValue> {
    let started = runtime::now_ms();
    let method = request.method();
    let (http, unreadable) = match read_request(&request).await {
        Ok(http) => (http, None),
        Err(error) => (HttpRequest::new(method.clone()), Some(error)),
    };
    let request_id = http
        .caller_request_id()
        .map(str::to_owned)
        .unwrap_or_else(runtime::random_id);
    let response = match (function, unreadable) {
        (_, Some(error)) => respond_error::<F>(error),
        (None, None) => respond_error::<F>(ApiError::Internal),
        (Some(function), None) => respond(function.as_ref(), &http).await,
    };
    let error_code = response_error_code(&response);
    emit(
        &RequestLog {
            function: F::NAME,
            request_id: &request_id,
            method: &method,
            status: response.status,
            duration_ms: ((runtime::now_ms() - started) * 100.0).round() / 100.0,
            correlation_id: response.correlation_id.as_deref(),
            error: error_code.as_deref(),
            detail: None,
        }
        .to_line(),
    );
    to_web_response(response.with_header("x-request-id", request_id))
}

/// Reads method, headers and body. A declared length over the limit is refused before
/// the body is read; an undeclared one is checked once read.
async fn read_request(request: &web_sys::Request) -> Result<HttpRequest, ApiError> {
    let too_large = ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let url = request.url();
    let url = url
        .split_once('#')
        .map_or(url.as_str(), |(before, _)| before);
    let (before_query, query) = url.split_once('?').unwrap_or((url, ""));
    let path = before_query
        .split_once("://")
        .map_or(before_query, |(_, rest)| {
            rest.find('/').map_or("/", |slash| &rest[slash..])
        });
    let mut http = HttpRequest::new(request.method())
        .with_path(path)
        .with_query(query);
    // `Headers` is an iterable of [name, value] pairs, both strings.
    let headers: Vec<(String, String)> =
        serde_wasm_bindgen::from_value(request.headers().into()).map_err(|_| ApiError::Internal)?;
    for (name, value) in headers {
        http = http.with_header(&name, value);
    }
    if let Some(length) = http.header("content-length") {
        if length
            .trim()
            .parse::<usize>()
            .map_or(true, |n| n > MAX_BODY_BYTES)
        {
            return Err(too_large);
        }
    }
    // Read through `arrayBuffer()` alone: touching `request.body` first would build a
    // ReadableStream for the body (and, on an isolate's first request, compile Deno's
    // streams code). A GET or HEAD has no body; any other method's may be empty.
    if !matches!(http.method.as_str(), "GET" | "HEAD") {
        let buffer = JsFuture::from(request.array_buffer().map_err(|_| ApiError::Internal)?)
            .await
            .map_err(|_| ApiError::InvalidPayload("the request body could not be read".into()))?;
        let bytes = js_sys::Uint8Array::new(&buffer);
        if bytes.length() as usize > MAX_BODY_BYTES {
            return Err(too_large);
        }
        http.body = bytes.to_vec();
    }
    Ok(http)
}

/// The instance's linear memory, for the stack's stats (memory must not grow per request).
pub fn memory_bytes() -> f64 {
    core::arch::wasm32::memory_size(0) as f64 * 65_536.0
}

fn response_error_code(response: &HttpResponse) -> Option<String> {
    if response.status < 400 {
        return None;
    }
    let body: serde_json::Value = serde_json::from_str(&response.body).ok()?;
    body["error"]["code"].as_str().map(str::to_owned)
}

fn to_web_response(response: HttpResponse) -> Result<web_sys::Response, JsValue> {
    let init = web_sys::ResponseInit::new();
    init.set_status(response.status);
    // As name/value pairs: `Response` makes its own `Headers` of them (one object fewer
    // than building a `Headers` here for it to copy).
    let headers = js_sys::Array::new();
    for (name, value) in &response.headers {
        headers.push(&js_sys::Array::of2(&name.into(), &value.into()));
    }
    init.set_headers(&headers);
    if let Some(stream) = response.stream {
        return web_sys::Response::new_with_opt_readable_stream_and_init(
            Some(&readable(stream)?),
            &init,
        );
    }
    // A null-body status (204 No Content for preflights, 304) must have no body at all:
    // Deno's `Response` throws on any, even an empty string.
    let body = (!response.has_null_body_status()).then_some(response.body.as_str());
    web_sys::Response::new_with_opt_str_and_init(body, &init)
}

/// A `ReadableStream` that asks the source for its next piece each time the reader
/// wants one (`pull`), so pieces are produced only as fast as they are sent. The source
/// (and what it holds) is dropped once it is done, fails, or the reader goes away
/// (`cancel`); only the small closures stay with the stream object.
fn readable(stream: crate::http::BodyStream) -> Result<web_sys::ReadableStream, JsValue> {
    let source = Rc::new(std::cell::RefCell::new(Some(stream.0)));
    let on_cancel = source.clone();
    let cancel = Closure::once_into_js(move || {
        on_cancel.borrow_mut().take();
    });
    let pull =
        Closure::<dyn FnMut(web_sys::ReadableStreamDefaultController) -> js_sys::Promise>::new(
            move |controller: web_sys::ReadableStreamDefaultController| {
                let source = source.clone();
                wasm_bindgen_futures::future_to_promise(async move {
                    let current = source.borrow().clone();
                    let Some(current) = current else {
                        controller.close()?;
                        return Ok(JsValue::UNDEFINED);
                    };
                    match current.next_chunk().await {
                        Ok(Some(chunk)) => controller
                            .enqueue_with_chunk(&js_sys::Uint8Array::from(chunk.as_bytes()))?,
                        Ok(None) => {
                            source.borrow_mut().take();
                            controller.close()?;
                        }
                        Err(error) => {
                            source.borrow_mut().take();
                            emit(&serde_json::json!({"event": "stream_failed", "error": error.code()}).to_string());
                            controller.error_with_e(&JsValue::from_str(error.code()));
                        }
                    }
                    Ok(JsValue::UNDEFINED)
                })
            },
        );
    let underlying = js_sys::Object::new();
    js_sys::Reflect::set(
        &underlying,
        &JsValue::from_str("pull"),
        &pull.into_js_value(),
    )?;
    js_sys::Reflect::set(&underlying, &JsValue::from_str("cancel"), &cancel)?;
    web_sys::ReadableStream::new_with_underlying_source(&underlying)
}

/// Defines the `configure(env)` and `serve(request)` exports for one [`EdgeFunction`].
#[macro_export]
macro_rules! export_to_deno {
    ($function:ty) => {
        thread_local! {
            static FUNCTION: ::std::cell::RefCell<Option<::std::rc::Rc<$function>>> =
                const { ::std::cell::RefCell::new(None) };
        }

        /// Reads the configuration once; throws naming the first missing variable.
        /// `on_panic` is called (after the panic is logged) if this instance panics.
        #[::wasm_bindgen::prelude::wasm_bindgen]
        pub fn configure(
            env: ::wasm_bindgen::JsValue,
            on_panic: ::js_sys::Function,
        ) -> Result<(), ::wasm_bindgen::JsError> {
            let function = $crate::wasm::configure::<$function>(env, on_panic)?;
            FUNCTION.with(|slot| *slot.borrow_mut() = Some(::std::rc::Rc::new(function)));
            Ok(())
        }

        /// The size of this instance's linear memory in bytes.
        #[::wasm_bindgen::prelude::wasm_bindgen]
        pub fn wasm_memory_bytes() -> f64 {
            $crate::wasm::memory_bytes()
        }

        /// Serves one `Request`; handler errors become JSON error responses.
        #[::wasm_bindgen::prelude::wasm_bindgen]
        pub async fn serve(
            request: ::web_sys::Request,
        ) -> Result<::web_sys::Response, ::wasm_bindgen::JsValue> {
            let function = FUNCTION.with(|slot| slot.borrow().clone());
            $crate::wasm::serve(function, request).await
        }
    };
}
