//! Exponential backoff with jitter, honouring `Retry-After`: the arithmetic only, so it
//! is unit-tested here and the sleeping happens through [`crate::runtime::sleep`].

/// What an HTTP status from a third party means for the caller: the one rule for every
/// integration (Resend, Make, the Management API). 429 and 5xx are transient (the same
/// request may succeed later); any other 4xx is permanent; 2xx is done. A service with
/// a refinement of its own (Resend's quota 429s are permanent) applies it on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Success,
    Transient,
    Permanent,
}

impl Disposition {
    pub fn of(status: u16) -> Disposition {
        match status {
            200..=299 => Disposition::Success,
            429 | 500..=599 => Disposition::Transient,
            _ => Disposition::Permanent,
        }
    }
}

/// How often and how patiently to retry a call to a third party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The delay after the first failure, before jitter.
    pub base_ms: u64,
    /// No computed delay exceeds this (a longer `Retry-After` is still honoured, or
    /// the caller gives up if it does not fit its budget).
    pub max_delay_ms: u64,
}

impl Backoff {
    /// The wait after failed attempt `attempt` (1-based): exponential, with "equal
    /// jitter" (half fixed, half random, so retries from many callers spread out but
    /// never collapse to zero), and never shorter than what the server asked for.
    pub fn delay_ms(&self, attempt: u32, retry_after_ms: Option<u64>, jitter: f64) -> u64 {
        let exponential = self
            .base_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
            .min(self.max_delay_ms);
        let jittered = exponential / 2 + ((exponential / 2) as f64 * jitter.clamp(0.0, 1.0)) as u64;
        jittered.max(retry_after_ms.unwrap_or(0))
    }
}

/// `Retry-After` in milliseconds from now, in either of its forms (RFC 9110):
/// delay-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`; a date already
/// past is 0). Garbage yields `None`, and the computed backoff applies.
pub fn parse_retry_after(value: &str) -> Option<u64> {
    retry_after_at(value, crate::runtime::unix_time_ms())
}

fn retry_after_at(value: &str, now_unix_ms: u64) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let at_ms = date.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64;
    Some(at_ms.saturating_sub(now_unix_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(retry_after_at("7", 0), Some(7_000));
        assert_eq!(retry_after_at(" 0 ", 0), Some(0));
        // 1994-11-06 08:49:37 GMT is 784111777 s after the epoch (RFC 9110's example).
        let now = 784_111_777_000 - 3_500;
        assert_eq!(
            retry_after_at("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(3_500)
        );
        assert_eq!(
            retry_after_at("Sun, 06 Nov 1994 08:49:37 GMT", now + 10_000),
            Some(0)
        );
        assert_eq!(retry_after_at("soon", 0), None);
        assert_eq!(retry_after_at("-5", 0), None);
        let in_a_minute = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(crate::runtime::unix_time_ms() / 1000 + 60),
        );
        let parsed = parse_retry_after(&in_a_minute).unwrap();
        assert!((58_000..=60_000).contains(&parsed), "{parsed}");
    }

    #[test]
    fn statuses_are_success_transient_or_permanent() {
        assert_eq!(Disposition::of(200), Disposition::Success);
        assert_eq!(Disposition::of(204), Disposition::Success);
        for transient in [429, 500, 502, 503, 504] {
            assert_eq!(
                Disposition::of(transient),
                Disposition::Transient,
                "{transient}"
            );
        }
        for permanent in [300, 400, 401, 404, 409, 410, 422] {
            assert_eq!(
                Disposition::of(permanent),
                Disposition::Permanent,
                "{permanent}"
            );
        }
    }

    const POLICY: Backoff = Backoff {
        max_attempts: 4,
        base_ms: 200,
        max_delay_ms: 1_000,
    };

    #[test]
    fn delays_grow_exponentially_within_jitter_and_cap() {
        assert_eq!(POLICY.delay_ms(1, None, 0.0), 100);
        assert_eq!(POLICY.delay_ms(1, None, 1.0), 200);
        assert_eq!(POLICY.delay_ms(2, None, 1.0), 400);
        assert_eq!(POLICY.delay_ms(3, None, 0.5), 600);
        assert_eq!(POLICY.delay_ms(10, None, 1.0), 1_000);
        assert_eq!(POLICY.delay_ms(u32::MAX, None, 1.0), 1_000);
    }

    #[test]
    fn retry_after_is_a_floor() {
        assert_eq!(POLICY.delay_ms(1, Some(3_000), 0.0), 3_000);
        assert_eq!(POLICY.delay_ms(3, Some(10), 1.0), 800);
    }

    #[test]
    fn retry_after_seconds_parse() {
        assert_eq!(parse_retry_after("2"), Some(2_000));
        assert_eq!(parse_retry_after(" 0 "), Some(0));
        assert_eq!(parse_retry_after("-1"), None);
    }
}
