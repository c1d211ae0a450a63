//! GCRA cells shared by every instance in Redis. One check is one round
//! trip: a Lua script reads the cell, decides on Redis's own clock (so
//! instances with skewed clocks agree) and writes the new cell with an
//! expiry, atomically. The connection is made on first use and remade by
//! itself after Redis comes back (`ConnectionManager`); while it is down,
//! each check answers as its [`WhenDown`] says: a failed call waits at most
//! [`TIMEOUT`], and the checks of the next second do not wait on Redis at
//! all.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use redis::{Client, Script};

use super::{
    Allowance, BoxFuture, LocalRateLimiter, Quota, RateLimiter, Refusal, RetryAfter, WhenDown,
};

/// The longest a check waits on Redis before treating it as down.
pub const TIMEOUT: Duration = Duration::from_millis(250);
/// After a failed connection, how long checks skip Redis before trying again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// KEYS[1]: the cell. ARGV: interval and tolerance in microseconds.
/// Returns {1, µs the cell now runs ahead} or {0, µs until allowed}.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if now < tat - tolerance then
  return {0, tat - tolerance - now}
end
local next = tat + interval
redis.call('SET', KEYS[1], next, 'PX', math.floor((next - now) / 1000) + 1)
return {1, next - now}
";

pub struct RedisRateLimiter {
    client: Client,
    prefix: String,
    script: Script,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    /// Set after a failed connection: skip Redis until then.
    down_until: Mutex<Option<Instant>>,
    /// Counts in this process while Redis is down (for [`WhenDown::Local`]).
    fallback: LocalRateLimiter,
}

impl RedisRateLimiter {
    /// A limiter on the Redis at `url` (`redis://` or `rediss://`), its
    /// keys starting with `prefix`. Connects on first use.
    pub fn new(url: &str, prefix: &str) -> Result<Self, String> {
        let client = Client::open(url).map_err(|e| format!("redis_url: {e}"))?;
        Ok(Self {
            client,
            prefix: prefix.to_owned(),
            script: Script::new(GCRA),
            connection: tokio::sync::Mutex::new(None),
            down_until: Mutex::new(None),
            fallback: LocalRateLimiter::default(),
        })
    }

    fn skipping(&self) -> bool {
        let down = self
            .down_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        down.is_some_and(|until| Instant::now() < until)
    }

    fn mark_down(&self) {
        *self
            .down_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now() + RETRY_EVERY);
    }

    /// The shared connection, made now if there is none.
    async fn connection(&self) -> Option<ConnectionManager> {
        if self.skipping() {
            return None;
        }
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Some(connection.clone());
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT));
        match tokio::time::timeout(
            TIMEOUT * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        {
            Ok(Ok(connection)) => {
                *slot = Some(connection.clone());
                Some(connection)
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "redis unavailable; rate limits fall back");
                self.mark_down();
                None
            }
            Err(_) => {
                tracing::warn!("redis connection timed out; rate limits fall back");
                self.mark_down();
                None
            }
        }
    }

    /// One GCRA step in Redis; `None` when Redis did not answer.
    async fn shared_check(&self, key: &str, quota: Quota) -> Option<Result<Allowance, Refusal>> {
        let mut connection = self.connection().await?;
        let micros = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        let mut invocation = self.script.key(format!("{}rl:{key}", self.prefix));
        invocation
            .arg(micros(quota.interval()))
            .arg(micros(quota.tolerance()));
        let answer = tokio::time::timeout(
            TIMEOUT,
            invocation.invoke_async::<(i64, i64)>(&mut connection),
        )
        .await;
        match answer {
            Ok(Ok((1, ahead))) => Some(Ok(quota.allowance(from_micros(ahead)))),
            Ok(Ok((_, wait))) => Some(Err(Refusal::Limited(RetryAfter(from_micros(wait))))),
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "redis rate-limit check failed; falling back for a second");
                self.mark_down();
                None
            }
            Err(_) => {
                tracing::warn!("redis rate-limit check timed out; falling back for a second");
                self.mark_down();
                None
            }
        }
    }
}

fn from_micros(micros: i64) -> Duration {
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

impl RateLimiter for RedisRateLimiter {
    fn check<'a>(
        &'a self,
        key: &'a str,
        quota: Quota,
        when_down: WhenDown,
    ) -> BoxFuture<'a, Result<Allowance, Refusal>> {
        Box::pin(async move {
            match (self.shared_check(key, quota).await, when_down) {
                (Some(decided), _) => decided,
                (None, WhenDown::Local) => self.fallback.check_now(key, quota),
                (None, WhenDown::Refuse) => Err(Refusal::Unavailable),
            }
        })
    }

    fn shared(&self) -> BoxFuture<'_, Option<bool>> {
        Box::pin(async move {
            let Some(mut connection) = self.connection().await else {
                return Some(false);
            };
            let pong = tokio::time::timeout(TIMEOUT, async {
                let answer: redis::RedisResult<String> =
                    redis::cmd("PING").query_async(&mut connection).await;
                answer
            })
            .await;
            Some(matches!(pong, Ok(Ok(_))))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_is_refused_at_start() {
        assert!(RedisRateLimiter::new("http://127.0.0.1:6379", "witzo:").is_err());
        assert!(RedisRateLimiter::new("redis://127.0.0.1:6379/0", "witzo:").is_ok());
    }
}
