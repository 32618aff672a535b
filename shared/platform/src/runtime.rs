//! The clock, randomness and timers: the only platform-specific pieces the handlers
//! use, switched between native (tokio, std) and wasm32 (JavaScript timers and clock).

use std::future::Future;

/// A monotonic-enough clock in milliseconds, for measuring durations: the
/// high-resolution `performance.now()` in JavaScript, the system clock natively.
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        timer::performance_now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    }
}

/// Wall-clock time, in milliseconds since the Unix epoch (`Date.now()` in JavaScript,
/// where `SystemTime` is not available).
pub fn unix_time_ms() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as u64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A fresh random id (UUID v4 from the platform's CSPRNG).
pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `N` bytes from the platform's CSPRNG (`crypto.getRandomValues` in Deno, the OS natively).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    #[cfg(target_arch = "wasm32")]
    timer::get_random_values(&mut bytes);
    #[cfg(not(target_arch = "wasm32"))]
    if let Err(err) = getrandom::fill(&mut bytes) {
        // No entropy source is not a condition to serve requests under.
        panic!("the operating system's random source failed: {err}");
    }
    bytes
}

/// A uniformly random fraction in [0, 1), for jitter.
pub fn random_fraction() -> f64 {
    let bytes = random_bytes::<8>();
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// Runs `future` to completion unless `timeout_ms` passes first (then `None`).
pub async fn with_deadline<T>(timeout_ms: u64, future: impl Future<Output = T>) -> Option<T> {
    use futures_util::future::{select, Either};
    let future = std::pin::pin!(future);
    let timer = std::pin::pin!(sleep(timeout_ms));
    match select(future, timer).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(((), _)) => None,
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn sleep(ms: u64) {
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

#[cfg(target_arch = "wasm32")]
pub async fn sleep(ms: u64) {
    timer::Timer::new(ms).await;
}

#[cfg(target_arch = "wasm32")]
mod timer {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_futures::JsFuture;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = setTimeout)]
        fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
        #[wasm_bindgen(js_name = clearTimeout)]
        fn clear_timeout(handle: &JsValue);
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        pub fn performance_now() -> f64;
        #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
        pub fn get_random_values(buffer: &mut [u8]);
    }

    /// A JavaScript timer as a future. Dropping it clears the timer, so a request that
    /// finished early does not leave a pending timeout keeping the event loop busy.
    pub struct Timer {
        handle: JsValue,
        done: JsFuture,
    }

    impl Timer {
        pub fn new(ms: u64) -> Self {
            let mut handle = JsValue::UNDEFINED;
            let promise = js_sys::Promise::new(&mut |resolve, _reject| {
                handle = set_timeout(&resolve, ms as f64);
            });
            Timer {
                handle,
                done: JsFuture::from(promise),
            }
        }
    }

    impl Future for Timer {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(&mut self.done).poll(cx).map(|_| ())
        }
    }

    impl Drop for Timer {
        fn drop(&mut self) {
            clear_timeout(&self.handle);
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn deadline_passes_fast_work_and_cuts_slow_work() {
        assert_eq!(with_deadline(1_000, async { 7 }).await, Some(7));
        assert_eq!(with_deadline(10, sleep(5_000)).await, None);
    }

    #[test]
    fn random_ids_differ() {
        assert_ne!(random_id(), random_id());
        assert_ne!(random_bytes::<32>(), random_bytes::<32>());
        let fraction = random_fraction();
        assert!((0.0..1.0).contains(&fraction));
    }
}
