//! Signals between instances through Redis pub/sub (with `redis_url`): a
//! job written on one instance wakes the idle workers of every instance at
//! once, instead of at their next poll. The database stays the source of
//! truth: a lost message only means a worker finds the job at its next
//! poll. Both loops reconnect by themselves.

use std::time::Duration;

use futures_util::StreamExt;
use secrecy::ExposeSecret;
use witzo_store::jobs::bell;

use crate::core::Core;

/// How long a loop waits after Redis could not be reached.
const RECONNECT: Duration = Duration::from_secs(1);

/// Starts the publisher (jobs written here) and, where workers run, the
/// subscriber (jobs written elsewhere); nothing without `redis_url`.
pub fn spawn(core: &Core) -> Vec<tokio::task::JoinHandle<()>> {
    let Some(url) = &core.config.redis_url else {
        return Vec::new();
    };
    let client = match redis::Client::open(url.expose_secret()) {
        Ok(client) => client,
        Err(err) => {
            tracing::warn!(error = %err, "redis_url: job wake-ups off");
            return Vec::new();
        }
    };
    let channel = format!("{}jobs", core.config.redis_key_prefix);
    let mut handles = vec![tokio::spawn(publish(client.clone(), channel.clone()))];
    if core.config.jobs.workers > 0 {
        handles.push(tokio::spawn(subscribe(client, channel)));
    }
    handles
}

async fn publish(client: redis::Client, channel: String) {
    let mut connection = None;
    loop {
        bell().queued().await;
        if connection.is_none() {
            connection = redis::aio::ConnectionManager::new(client.clone())
                .await
                .ok();
        }
        let Some(live) = connection.as_mut() else {
            continue;
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(1)
            .query_async(live)
            .await;
        if let Err(err) = sent {
            tracing::debug!(error = %err, "job wake-up not published");
        }
    }
}

async fn subscribe(client: redis::Client, channel: String) {
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if pubsub.subscribe(&channel).await.is_ok() {
                    let mut messages = pubsub.on_message();
                    while messages.next().await.is_some() {
                        bell().wake();
                    }
                }
                tracing::debug!("job wake-up subscription ended; reconnecting");
            }
            Err(err) => tracing::debug!(error = %err, "job wake-ups: redis unavailable"),
        }
        tokio::time::sleep(RECONNECT).await;
    }
}
