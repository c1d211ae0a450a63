//! Synthetic traffic for `witzo bench analytics`: widget events,
//! conversations and messages spread over the last 90 days, inserted in
//! batches through the same triggers that keep the rollups.

use crate::domain::WidgetId;
use crate::{Store, StoreResult};

/// Rows per multi-row `INSERT` (well under both engines' bind limits).
const BATCH: usize = 400;

/// Questions visitors ask, so the top questions have something to group.
const QUESTIONS: [&str; 12] = [
    "What are your opening hours?",
    "Do you deliver?",
    "How much is shipping?",
    "Do you sell gift cards?",
    "Where are you located?",
    "Can I return an item?",
    "Is there parking?",
    "Do you have vegan options?",
    "How do I book a table?",
    "Are dogs allowed?",
    "What payment methods do you accept?",
    "Do you ship abroad?",
];

impl Store {
    /// Inserts `events` widget events and `messages` messages (four per
    /// conversation: two questions, two answers, one in five refused, some
    /// rated) for `widgets`, over the 90 days before `now`.
    pub async fn seed_analytics(
        &self,
        widgets: &[WidgetId],
        events: usize,
        messages: usize,
        now: i64,
    ) -> StoreResult<()> {
        let span = 90 * 86_400;
        let at = |i: usize| now - span + (i as i64 * 7_919) % span;
        let widget = |i: usize| widgets[i % widgets.len().max(1)].get();
        let mut done = 0;
        while done < events {
            let n = BATCH.min(events - done);
            let values: Vec<String> = (0..n)
                .map(|k| {
                    let b = 5 * k;
                    format!(
                        "(${}, ${}, ${}, ${}, '', ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO widget_events (widget_id, kind, visitor_id, origin, page_url, created_at) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for k in done..done + n {
                let kind = if k % 4 == 0 {
                    "opened"
                } else {
                    "widget_loaded"
                };
                query = query
                    .bind(widget(k))
                    .bind(kind)
                    .bind(format!("v_{:032x}", k % 150_000))
                    .bind("https://shop.example.com")
                    .bind(at(k));
            }
            query.execute(self.pool()).await?;
            done += n;
        }
        let conversations = messages / 4;
        let mut tx = self.begin_write().await?;
        for c in 0..conversations {
            if c % 200 == 199 {
                tx.commit().await?;
                tx = self.begin_write().await?;
            }
            let (w, t) = (widget(c), at(c * 13));
            let visitor = format!("v_{:032x}", c % 150_000);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO conversations (widget_id, public_id, visitor_id, origin, page_url, preview, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'https://shop.example.com', '', 0, $4, $4) RETURNING id",
            )
            .bind(w)
            .bind(format!("c_{:032x}", rand::random::<u128>()))
            .bind(&visitor)
            .bind(t)
            .fetch_one(&mut *tx)
            .await?;
            for turn in 0..2 {
                let question = QUESTIONS[(c * 3 + turn) % QUESTIONS.len()];
                let refused = (c + turn) % 5 == 0;
                let rating: Option<i64> = match (c + turn) % 7 {
                    0 => Some(1),
                    1 => Some(-1),
                    _ => None,
                };
                sqlx::query(
                    "INSERT INTO messages (conversation_id, public_id, role, body, sources, created_at) \
                     VALUES ($1, $2, 'visitor', $3, '[]', $4), ($1, $5, 'assistant', $6, '[]', $4)",
                )
                .bind(id)
                .bind(format!("m_{:032x}", rand::random::<u128>()))
                .bind(question)
                .bind(t)
                .bind(format!("m_{:032x}", rand::random::<u128>()))
                .bind(if refused { "I don't know." } else { "Here is the answer." })
                .execute(&mut *tx)
                .await?;
                if refused || rating.is_some() {
                    sqlx::query(
                        "UPDATE messages SET refused = $1, rating = $2 WHERE conversation_id = $3 AND role = 'assistant' \
                         AND id = (SELECT MAX(id) FROM messages WHERE conversation_id = $3)",
                    )
                    .bind(i64::from(refused))
                    .bind(rating)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "INSERT INTO analytics_questions (widget_id, day, question, asked) VALUES ($1, $2, $3, 1) \
                     ON CONFLICT (widget_id, day, question) DO UPDATE SET asked = analytics_questions.asked + 1",
                )
                .bind(w)
                .bind(t.div_euclid(86_400))
                .bind(crate::analytics::normalise_question(question).unwrap_or_default())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Refreshes PostgreSQL's planner statistics after a bulk load (what
    /// autovacuum does in time on a live database); nothing on SQLite.
    pub async fn analyze_after_seeding(&self) -> StoreResult<()> {
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("ANALYZE").execute(self.pool()).await?;
        }
        Ok(())
    }
}
