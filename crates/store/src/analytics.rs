//! Analytics from rollups: counts per widget and UTC quarter hour kept by
//! triggers as events arrive (migration 0012), distinct visitors and
//! normalised questions per local day. A page reads a few thousand rollup
//! rows, never the raw events. Report queries go unprepared
//! (`persistent(false)`), so PostgreSQL plans each with its actual
//! account, widget and period; a cached generic plan of
//! `($2 < 0 OR widget_id = $2)` cannot use the widget and was several
//! times slower.

use serde::Serialize;

use crate::domain::{AccountId, WidgetId};
use crate::sketch::Sketch;
use crate::{Store, StoreResult};

/// The counted figures of a period (or one day of it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    pub loads: i64,
    pub opens: i64,
    pub conversations: i64,
    /// Visitor messages.
    pub messages: i64,
    /// Answers with sources (or an owner's answer, or small talk).
    pub answered: i64,
    /// "I don't know" answers.
    pub refused: i64,
    pub rated_up: i64,
    pub rated_down: i64,
    pub leads: i64,
}

/// One local day's counts and distinct visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCounts {
    /// Days since 1970-01-01 in the account's offset.
    pub day: i64,
    #[serde(flatten)]
    pub counts: Counts,
    pub visitors: i64,
}

#[derive(sqlx::FromRow)]
struct DayRow {
    day: i64,
    loads: i64,
    opens: i64,
    conversations: i64,
    messages: i64,
    answered: i64,
    refused: i64,
    rated_up: i64,
    rated_down: i64,
    leads: i64,
}

/// A question visitors asked, normalised, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopQuestion {
    pub question: String,
    pub asked: i64,
}

/// The scope of a report: the account, one widget or all, and local days
/// `[from_day, to_day)` at `offset_minutes` from UTC.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub account: AccountId,
    pub widget: Option<WidgetId>,
    pub from_day: i64,
    pub to_day: i64,
    pub offset_minutes: i64,
}

impl Period {
    /// The quarter hours `[from, to)` of the period.
    fn quarters(&self) -> (i64, i64) {
        let q = |day: i64| (day * 86_400 - self.offset_minutes * 60).div_euclid(900);
        (q(self.from_day), q(self.to_day))
    }

    fn widgets(&self) -> &'static str {
        "widget_id IN (SELECT id FROM widgets WHERE account_id = $1) AND ($2 < 0 OR widget_id = $2)"
    }

    fn widget(&self) -> i64 {
        self.widget.map_or(-1, WidgetId::get)
    }
}

const SUMS: &str = "CAST(COALESCE(SUM(loads), 0) AS BIGINT) AS loads, CAST(COALESCE(SUM(opens), 0) AS BIGINT) AS opens, \
     CAST(COALESCE(SUM(conversations), 0) AS BIGINT) AS conversations, CAST(COALESCE(SUM(messages), 0) AS BIGINT) AS messages, \
     CAST(COALESCE(SUM(answered), 0) AS BIGINT) AS answered, CAST(COALESCE(SUM(refused), 0) AS BIGINT) AS refused, \
     CAST(COALESCE(SUM(rated_up), 0) AS BIGINT) AS rated_up, CAST(COALESCE(SUM(rated_down), 0) AS BIGINT) AS rated_down, \
     CAST(COALESCE(SUM(leads), 0) AS BIGINT) AS leads";

/// A visitor's question as analytics groups it: lower case, letters and
/// digits only, single spaces, at most 120 characters; `None` when nothing
/// is left.
pub fn normalise_question(text: &str) -> Option<String> {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
        if out.chars().count() >= 120 {
            break;
        }
    }
    let out: String = out.chars().take(120).collect();
    let out = out.trim_end().to_owned();
    (!out.is_empty()).then_some(out)
}

impl Store {
    /// The period's totals.
    pub async fn analytics_totals(&self, period: &Period) -> StoreResult<Counts> {
        let (from, to) = period.quarters();
        let sql = format!(
            "SELECT {SUMS} FROM analytics_quarters WHERE {} AND quarter >= $3 AND quarter < $4",
            period.widgets()
        );
        Ok(sqlx::query_as(&sql)
            .persistent(false)
            .bind(period.account.get())
            .bind(period.widget())
            .bind(from)
            .bind(to)
            .fetch_one(self.pool())
            .await?)
    }

    /// The period's counts per local day (days without any count left out).
    pub async fn analytics_days(&self, period: &Period) -> StoreResult<Vec<DayCounts>> {
        let (from, to) = period.quarters();
        let sql = format!(
            "SELECT (quarter * 900 + $5) / 86400 AS day, {SUMS} FROM analytics_quarters \
             WHERE {} AND quarter >= $3 AND quarter < $4 GROUP BY 1 ORDER BY 1",
            period.widgets()
        );
        let rows: Vec<DayRow> = sqlx::query_as(&sql)
            .persistent(false)
            .bind(period.account.get())
            .bind(period.widget())
            .bind(from)
            .bind(to)
            .bind(period.offset_minutes * 60)
            .fetch_all(self.pool())
            .await?;
        let visitors: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT day, CAST(SUM(visitors) AS BIGINT) FROM analytics_day_visitors \
             WHERE {} AND day >= $3 AND day < $4 GROUP BY day ORDER BY day",
            period.widgets()
        ))
        .persistent(false)
        .bind(period.account.get())
        .bind(period.widget())
        .bind(period.from_day)
        .bind(period.to_day)
        .fetch_all(self.pool())
        .await?;
        let mut days: Vec<DayCounts> = rows
            .into_iter()
            .map(|r| DayCounts {
                day: r.day,
                counts: Counts {
                    loads: r.loads,
                    opens: r.opens,
                    conversations: r.conversations,
                    messages: r.messages,
                    answered: r.answered,
                    refused: r.refused,
                    rated_up: r.rated_up,
                    rated_down: r.rated_down,
                    leads: r.leads,
                },
                visitors: 0,
            })
            .collect();
        for (day, n) in visitors {
            match days.binary_search_by_key(&day, |d| d.day) {
                Ok(i) => days[i].visitors = n,
                Err(i) => days.insert(
                    i,
                    DayCounts {
                        day,
                        counts: Counts::default(),
                        visitors: n,
                    },
                ),
            }
        }
        Ok(days)
    }

    /// Distinct visitors over the whole period: exact while the period's
    /// days hold their visitor ids, estimated (HyperLogLog) once days have
    /// been compacted into sketches.
    pub async fn analytics_visitors(&self, period: &Period) -> StoreResult<i64> {
        let sketches: Vec<(Vec<u8>,)> = sqlx::query_as(&format!(
            "SELECT sketch FROM analytics_visitor_sketches WHERE {} AND day >= $3 AND day < $4",
            period.widgets()
        ))
        .persistent(false)
        .bind(period.account.get())
        .bind(period.widget())
        .bind(period.from_day)
        .bind(period.to_day)
        .fetch_all(self.pool())
        .await?;
        if sketches.is_empty() {
            let (n,): (i64,) = sqlx::query_as(&format!(
                "SELECT COUNT(*) FROM (SELECT DISTINCT visitor_id FROM analytics_visitors \
                 WHERE {} AND day >= $3 AND day < $4) v",
                period.widgets()
            ))
            .persistent(false)
            .bind(period.account.get())
            .bind(period.widget())
            .bind(period.from_day)
            .bind(period.to_day)
            .fetch_one(self.pool())
            .await?;
            return Ok(n);
        }
        let mut union = Sketch::default();
        for (bytes,) in &sketches {
            union.merge(&Sketch::from_bytes(bytes));
        }
        let raw: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT DISTINCT visitor_id FROM analytics_visitors WHERE {} AND day >= $3 AND day < $4",
            period.widgets()
        ))
        .persistent(false)
            .bind(period.account.get())
        .bind(period.widget())
        .bind(period.from_day)
        .bind(period.to_day)
        .fetch_all(self.pool())
        .await?;
        for (visitor,) in &raw {
            union.add(visitor);
        }
        Ok(union.estimate())
    }

    /// Folds the visitor ids of days before `before_day` into one sketch per
    /// widget and day, and deletes the ids; returns the days compacted.
    pub async fn compact_visitors(&self, before_day: i64) -> StoreResult<usize> {
        let days: Vec<(i64, i64)> =
            sqlx::query_as("SELECT DISTINCT widget_id, day FROM analytics_visitors WHERE day < $1")
                .bind(before_day)
                .fetch_all(self.pool())
                .await?;
        for (widget, day) in &days {
            let mut tx = self.begin_write().await?;
            let ids: Vec<(String,)> = sqlx::query_as(
                "SELECT visitor_id FROM analytics_visitors WHERE widget_id = $1 AND day = $2",
            )
            .bind(widget)
            .bind(day)
            .fetch_all(&mut *tx)
            .await?;
            let stored: Option<(Vec<u8>,)> = sqlx::query_as(
                "SELECT sketch FROM analytics_visitor_sketches WHERE widget_id = $1 AND day = $2",
            )
            .bind(widget)
            .bind(day)
            .fetch_optional(&mut *tx)
            .await?;
            let mut sketch = stored.map_or_else(Sketch::default, |(b,)| Sketch::from_bytes(&b));
            for (id,) in &ids {
                sketch.add(id);
            }
            sqlx::query(
                "INSERT INTO analytics_visitor_sketches (widget_id, day, sketch) VALUES ($1, $2, $3) \
                 ON CONFLICT (widget_id, day) DO UPDATE SET sketch = excluded.sketch",
            )
            .bind(widget)
            .bind(day)
            .bind(sketch.as_bytes().to_vec())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM analytics_visitors WHERE widget_id = $1 AND day = $2")
                .bind(widget)
                .bind(day)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(days.len())
    }

    /// Visitor messages per local hour of the day (0–23) over the period.
    pub async fn analytics_hours(&self, period: &Period) -> StoreResult<[i64; 24]> {
        let (from, to) = period.quarters();
        let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT ((quarter * 900 + $5) % 86400) / 3600 AS hour, CAST(SUM(messages) AS BIGINT) \
             FROM analytics_quarters WHERE {} AND quarter >= $3 AND quarter < $4 \
             GROUP BY 1",
            period.widgets()
        ))
        .persistent(false)
        .bind(period.account.get())
        .bind(period.widget())
        .bind(from)
        .bind(to)
        .bind(period.offset_minutes * 60 + 86_400)
        .fetch_all(self.pool())
        .await?;
        let mut hours = [0; 24];
        for (hour, n) in rows {
            if let Some(slot) = usize::try_from(hour).ok().and_then(|h| hours.get_mut(h)) {
                *slot += n;
            }
        }
        Ok(hours)
    }

    /// The period's most asked questions.
    pub async fn analytics_top_questions(
        &self,
        period: &Period,
        limit: i64,
    ) -> StoreResult<Vec<TopQuestion>> {
        Ok(sqlx::query_as(&format!(
            "SELECT question, CAST(SUM(asked) AS BIGINT) AS asked FROM analytics_questions \
             WHERE {} AND day >= $3 AND day < $4 GROUP BY question \
             ORDER BY SUM(asked) DESC, question LIMIT $5",
            period.widgets()
        ))
        .persistent(false)
        .bind(period.account.get())
        .bind(period.widget())
        .bind(period.from_day)
        .bind(period.to_day)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}

/// What tests compare the rollups with: the same counts recounted from
/// the raw rows, and every row a visitor id or text still appears in.
#[cfg(feature = "testing")]
impl Store {
    /// `(widget, quarter, counts)` from the rollups, in order.
    pub async fn rollup_rows(&self) -> StoreResult<Vec<(i64, i64, Counts)>> {
        let rows: Vec<CountsRow> = sqlx::query_as(
            "SELECT widget_id, quarter, loads, opens, conversations, messages, answered, refused, rated_up, rated_down, leads \
             FROM analytics_quarters WHERE loads + opens + conversations + messages + answered + refused + rated_up + rated_down + leads > 0 \
             ORDER BY widget_id, quarter",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(counts_row).collect())
    }

    /// The same, recounted from the raw rows.
    pub async fn recount_rollups(&self) -> StoreResult<Vec<(i64, i64, Counts)>> {
        let rows: Vec<CountsRow> = sqlx::query_as(
            "SELECT widget_id, quarter, CAST(SUM(loads) AS BIGINT), CAST(SUM(opens) AS BIGINT), CAST(SUM(conversations) AS BIGINT), \
             CAST(SUM(messages) AS BIGINT), CAST(SUM(answered) AS BIGINT), CAST(SUM(refused) AS BIGINT), \
             CAST(SUM(rated_up) AS BIGINT), CAST(SUM(rated_down) AS BIGINT), CAST(SUM(leads) AS BIGINT) FROM ( \
               SELECT widget_id, created_at / 900 AS quarter, CASE WHEN kind = 'widget_loaded' THEN 1 ELSE 0 END AS loads, \
                 CASE WHEN kind = 'opened' THEN 1 ELSE 0 END AS opens, 0 AS conversations, 0 AS messages, 0 AS answered, \
                 0 AS refused, 0 AS rated_up, 0 AS rated_down, 0 AS leads FROM widget_events \
               UNION ALL SELECT widget_id, created_at / 900, 0, 0, 1, 0, 0, 0, 0, 0, 0 FROM conversations WHERE preview = 0 \
               UNION ALL SELECT c.widget_id, m.created_at / 900, 0, 0, 0, \
                 CASE WHEN m.role = 'visitor' THEN 1 ELSE 0 END, \
                 CASE WHEN m.role = 'assistant' AND m.refused = 0 THEN 1 ELSE 0 END, \
                 CASE WHEN m.role = 'assistant' AND m.refused = 1 THEN 1 ELSE 0 END, \
                 CASE WHEN m.rating = 1 THEN 1 ELSE 0 END, CASE WHEN m.rating = -1 THEN 1 ELSE 0 END, 0 \
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.preview = 0 \
               UNION ALL SELECT widget_id, created_at / 900, 0, 0, 0, 0, 0, 0, 0, 0, 1 FROM leads \
             ) raw GROUP BY widget_id, quarter ORDER BY widget_id, quarter",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(counts_row).collect())
    }

    /// How many rows of each table still hold `needle` (a visitor id or an
    /// e-mail address) in any text column.
    pub async fn rows_holding(&self, needle: &str) -> StoreResult<Vec<(&'static str, i64)>> {
        let checks: [(&'static str, &str); 10] = [
            (
                "conversations",
                "SELECT COUNT(*) FROM conversations WHERE visitor_id = $1",
            ),
            (
                "messages",
                "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.visitor_id = $1 OR m.body LIKE '%' || $1 || '%'",
            ),
            (
                "leads",
                "SELECT COUNT(*) FROM leads WHERE visitor_id = $1 OR email = $1",
            ),
            (
                "widget_events",
                "SELECT COUNT(*) FROM widget_events WHERE visitor_id = $1",
            ),
            (
                "analytics_visitors",
                "SELECT COUNT(*) FROM analytics_visitors WHERE visitor_id = $1",
            ),
            (
                "analytics_questions",
                "SELECT COUNT(*) FROM analytics_questions WHERE question LIKE '%' || $1 || '%'",
            ),
            (
                "gap_questions",
                "SELECT COUNT(*) FROM gap_questions WHERE question LIKE '%' || $1 || '%'",
            ),
            (
                "audit_events",
                "SELECT COUNT(*) FROM audit_events WHERE detail LIKE '%' || $1 || '%'",
            ),
            (
                "rated",
                "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.visitor_id = $1 AND m.rating IS NOT NULL",
            ),
            (
                "webhook_deliveries",
                "SELECT COUNT(*) FROM webhook_deliveries WHERE body LIKE '%' || $1 || '%'",
            ),
        ];
        let mut out = Vec::new();
        for (table, sql) in checks {
            // Visitor ids appear in question text without their `v_`.
            let needle = if sql.contains("LIKE") {
                needle.trim_start_matches("v_")
            } else {
                needle
            };
            let (n,): (i64,) = sqlx::query_as(sql)
                .bind(needle)
                .fetch_one(self.pool())
                .await?;
            out.push((table, n));
        }
        Ok(out)
    }
}

/// `(widget, quarter, loads, opens, conversations, messages, answered,
/// refused, rated_up, rated_down, leads)`.
#[cfg(feature = "testing")]
type CountsRow = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

#[cfg(feature = "testing")]
fn counts_row(r: CountsRow) -> (i64, i64, Counts) {
    (
        r.0,
        r.1,
        Counts {
            loads: r.2,
            opens: r.3,
            conversations: r.4,
            messages: r.5,
            answered: r.6,
            refused: r.7,
            rated_up: r.8,
            rated_down: r.9,
            leads: r.10,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_normalised_for_grouping() {
        assert_eq!(
            normalise_question("  Do you RENT e-bikes?? ").as_deref(),
            Some("do you rent e bikes")
        );
        assert_eq!(
            normalise_question("What's the price?").as_deref(),
            Some("what's the price")
        );
        assert_eq!(normalise_question("?!"), None);
        assert_eq!(
            normalise_question(&"a ".repeat(200)).map(|q| q.chars().count()),
            Some(119)
        );
    }
}
