//! Widget stamps read for many requests at once. Every public request
//! reads its widget's stamp (`updated_at`, knowledge version) from the
//! database, so a regenerated or deleted key is refused at once on every
//! instance and an edit is seen by the next request. Under load most of
//! those reads ask the same thing at the same moment: one reader takes
//! every request waiting, reads each distinct key once (distinct keys side
//! by side) and answers them all. A request is only ever answered by a
//! read that began after it arrived, so it sees what a read of its own
//! would have seen.

use futures_util::future::join_all;
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use crate::widgets::WidgetStamp;
use crate::{StoreError, StoreResult};

/// How many requests wait for the reader before senders do.
const QUEUE: usize = 1024;
/// How many requests one round of reads answers at most.
const BATCH: usize = 256;

type Reply = oneshot::Sender<StoreResult<Option<WidgetStamp>>>;

/// The queue to the reader task; see the module's documentation.
#[derive(Debug, Clone)]
pub(crate) struct StampReader {
    queue: mpsc::Sender<(String, Reply)>,
}

impl StampReader {
    /// Starts the reader on the current runtime; it ends when every
    /// [`StampReader`] is dropped.
    pub(crate) fn start(pool: AnyPool) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, waiting));
        Self { queue }
    }

    /// The stamp of the widget `key` names, read after this call began.
    pub(crate) async fn read(&self, key: &str) -> StoreResult<Option<WidgetStamp>> {
        let (reply, read) = oneshot::channel();
        // The reader is gone only once the store is (shutting down).
        let closed = || StoreError::Busy(sqlx::Error::PoolClosed);
        self.queue
            .send((key.to_owned(), reply))
            .await
            .map_err(|_| closed())?;
        read.await.map_err(|_| closed())?
    }
}

async fn run(pool: AnyPool, mut waiting: mpsc::Receiver<(String, Reply)>) {
    let mut batch = Vec::with_capacity(BATCH);
    while waiting.recv_many(&mut batch, BATCH).await > 0 {
        let mut keys: Vec<String> = Vec::new();
        for (key, _) in &batch {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
        let stamps = join_all(keys.iter().map(|key| read_stamp(&pool, key))).await;
        for (key, reply) in batch.drain(..) {
            let stamp = match keys.iter().position(|k| *k == key) {
                Some(i) => match &stamps[i] {
                    Ok(stamp) => Ok(*stamp),
                    Err(err) => Err(err.copied()),
                },
                None => Err(StoreError::NotFound),
            };
            // The request may have gone meanwhile.
            let _ = reply.send(stamp);
        }
    }
}

/// One indexed read by the unique key.
async fn read_stamp(pool: &AnyPool, key: &str) -> StoreResult<Option<WidgetStamp>> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT updated_at, knowledge_version FROM widgets WHERE public_key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(updated_at, knowledge_version)| WidgetStamp {
        updated_at,
        knowledge_version,
    }))
}
