//! Rate limiting with the generic cell rate algorithm (GCRA): each key keeps
//! one timestamp, its "theoretical arrival time". In one process the cells
//! live in memory ([`LocalRateLimiter`]); with `redis_url` every instance
//! shares them in Redis, one atomic script call per check
//! ([`redis::RedisRateLimiter`]). Each check says what it does when Redis
//! cannot be reached ([`WhenDown`]).

pub mod redis;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::{AppError, ErrorCode};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How many requests a key may make: `burst` at once, refilled at one per
/// `period / per_period`.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    pub per_period: u32,
    pub period: Duration,
    pub burst: u32,
}

impl Quota {
    pub fn per_minute(per_minute: u32, burst: u32) -> Self {
        Self {
            per_period: per_minute.max(1),
            period: Duration::from_secs(60),
            burst: burst.max(1),
        }
    }

    fn interval(self) -> Duration {
        self.period / self.per_period
    }

    /// How far ahead of now a key's cell may run: `burst - 1` intervals.
    fn tolerance(self) -> Duration {
        self.interval() * self.burst.saturating_sub(1)
    }

    /// What is left once a cell runs `ahead` of now.
    fn allowance(self, ahead: Duration) -> Allowance {
        let interval = self.interval();
        let room = (self.tolerance() + interval).saturating_sub(ahead);
        Allowance {
            remaining: u32::try_from(room.as_nanos() / interval.as_nanos().max(1))
                .unwrap_or(u32::MAX),
            reset: ahead,
        }
    }
}

/// What a key has left after an allowed request (for `RateLimit-*` headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// Requests it may still make at once.
    pub remaining: u32,
    /// Until its whole burst is available again.
    pub reset: Duration,
}

impl Allowance {
    /// Whole seconds until the burst is whole again, rounded up.
    pub fn reset_secs(self) -> u64 {
        RetryAfter(self.reset).secs()
    }
}

/// A refusal: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up, at least one (for the `Retry-After` header).
    pub fn secs(self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)
    }
}

/// What a limit does when the shared store (Redis) cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenDown {
    /// Count in this process instead: the widget's chat and the APIs stay
    /// available, limited per instance until Redis is back.
    Local,
    /// Refuse (`503`): sign-in codes are never left unlimited.
    Refuse,
}

/// Why a request is not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over the quota: try again after this long.
    Limited(RetryAfter),
    /// The shared store is down and the limit fails closed.
    Unavailable,
}

impl Refusal {
    /// The error to answer: `429 rate_limited` with `message`, or `503
    /// service_unavailable`; both with `Retry-After`.
    pub fn error(self, message: &str) -> AppError {
        match self {
            Self::Limited(retry) => {
                AppError::new(ErrorCode::RateLimited, message).retry_after(retry.secs())
            }
            Self::Unavailable => AppError::new(
                ErrorCode::Unavailable,
                "This is unavailable for a moment. Please try again shortly.",
            )
            .retry_after(5),
        }
    }
}

pub trait RateLimiter: Send + Sync {
    /// Counts one request for `key` and says what is left, or refuses it.
    fn check<'a>(
        &'a self,
        key: &'a str,
        quota: Quota,
        when_down: WhenDown,
    ) -> BoxFuture<'a, Result<Allowance, Refusal>>;

    /// The shared store's state for `/readyz`: `None` without one.
    fn shared(&self) -> BoxFuture<'_, Option<bool>> {
        Box::pin(async { None })
    }
}

/// The limiter `config` asks for: shared in Redis with `redis_url`, else
/// in this process.
pub fn from_config(config: &Config) -> Result<Arc<dyn RateLimiter>, String> {
    use secrecy::ExposeSecret;
    match &config.redis_url {
        Some(url) => Ok(Arc::new(redis::RedisRateLimiter::new(
            url.expose_secret(),
            &config.redis_key_prefix,
        )?)),
        None => Ok(Arc::new(LocalRateLimiter::default())),
    }
}

/// GCRA state in this process's memory. Idle keys are swept out once the map
/// grows past `sweep_at`, so memory stays bounded by active keys.
pub struct LocalRateLimiter {
    cells: Mutex<HashMap<String, Instant>>,
    sweep_at: usize,
}

impl Default for LocalRateLimiter {
    fn default() -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
            sweep_at: 100_000,
        }
    }
}

impl LocalRateLimiter {
    fn check_at(&self, key: &str, quota: Quota, now: Instant) -> Result<Allowance, RetryAfter> {
        let interval = quota.interval();
        let tolerance = quota.tolerance();
        let mut cells = self
            .cells
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cells.len() >= self.sweep_at {
            cells.retain(|_, tat| *tat > now);
        }
        let tat = cells.get(key).copied().unwrap_or(now).max(now);
        let allowed_at = tat.checked_sub(tolerance).unwrap_or(now);
        if now < allowed_at {
            return Err(RetryAfter(allowed_at - now));
        }
        let next = tat + interval;
        cells.insert(key.to_owned(), next);
        Ok(quota.allowance(next - now))
    }
}

impl LocalRateLimiter {
    /// A check now, in this process.
    pub fn check_now(&self, key: &str, quota: Quota) -> Result<Allowance, Refusal> {
        self.check_at(key, quota, Instant::now())
            .map_err(Refusal::Limited)
    }
}

impl RateLimiter for LocalRateLimiter {
    fn check<'a>(
        &'a self,
        key: &'a str,
        quota: Quota,
        _when_down: WhenDown,
    ) -> BoxFuture<'a, Result<Allowance, Refusal>> {
        Box::pin(async move { self.check_now(key, quota) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_refuses_until_a_cell_refills() {
        let limiter = LocalRateLimiter::default();
        let quota = Quota::per_minute(60, 3);
        let start = Instant::now();
        let remaining: Vec<u32> = (0..3)
            .filter_map(|_| limiter.check_at("ip", quota, start).ok())
            .map(|a| a.remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let refused = limiter.check_at("ip", quota, start).unwrap_err();
        assert_eq!(refused, RetryAfter(Duration::from_secs(1)));
        assert_eq!(refused.secs(), 1);
        let after = limiter.check_at("ip", quota, start + Duration::from_secs(1));
        assert_eq!(
            after,
            Ok(Allowance {
                remaining: 0,
                reset: Duration::from_secs(3)
            })
        );
        assert!(
            limiter
                .check_at("ip", quota, start + Duration::from_secs(1))
                .is_err()
        );
    }

    #[test]
    fn keys_are_limited_independently() {
        let limiter = LocalRateLimiter::default();
        let quota = Quota::per_minute(1, 1);
        let now = Instant::now();
        assert!(limiter.check_at("a", quota, now).is_ok());
        assert!(limiter.check_at("a", quota, now).is_err());
        assert!(limiter.check_at("b", quota, now).is_ok());
    }

    #[test]
    fn idle_keys_are_swept_when_the_map_is_full() {
        let limiter = LocalRateLimiter {
            cells: Mutex::new(HashMap::new()),
            sweep_at: 2,
        };
        let quota = Quota::per_minute(60, 1);
        let now = Instant::now();
        limiter.check_at("a", quota, now).unwrap();
        limiter.check_at("b", quota, now).unwrap();
        limiter
            .check_at("c", quota, now + Duration::from_secs(5))
            .unwrap();
        assert_eq!(limiter.cells.lock().unwrap().len(), 1);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).secs(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(2001)).secs(), 3);
    }
}
