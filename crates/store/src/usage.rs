//! The monthly conversation allowance of an account: one atomic
//! check-and-increment per answered message, and a cycle reset that is safe
//! to run any number of times, on any instance.

use crate::domain::AccountId;
use crate::{Backend, Store, StoreError, StoreResult};

/// An account's usage in its current cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub used: i64,
    /// Unix seconds the cycle began.
    pub cycle_start: i64,
}

impl Usage {
    /// When the allowance is renewed: one calendar month after the start.
    pub fn resets_at(&self) -> i64 {
        add_month(self.cycle_start)
    }
}

/// Whether a conversation could be taken from the allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Counted; usage after it.
    Granted(Usage),
    /// At the limit; nothing changed.
    Refused(Usage),
}

/// What a chat turn's take from the allowance found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Take {
    pub taken: Taken,
    /// The plan's monthly limit; `None`: unlimited.
    pub limit: Option<i64>,
    /// Whether the account has webhook endpoints (only read when granted:
    /// `false` when refused, as no turn follows).
    pub webhooks: bool,
}

/// An e-mail to the owner about the allowance, sent once per cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// 90 % used.
    Warning,
    /// All used.
    Exhausted,
}

impl Store {
    /// Claims the right to send `notice` for the cycle that began at
    /// `cycle_start`: true exactly once per cycle, however many requests
    /// or instances ask at the same time.
    pub async fn claim_notice(
        &self,
        account: AccountId,
        notice: Notice,
        cycle_start: i64,
    ) -> StoreResult<bool> {
        let column = match notice {
            Notice::Warning => "warned_cycle",
            Notice::Exhausted => "exhausted_cycle",
        };
        let done = sqlx::query(&format!(
            "UPDATE accounts SET {column} = $2 WHERE id = $1 AND cycle_start = $2 AND {column} <> $2"
        ))
        .bind(account.get())
        .bind(cycle_start)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// What a refused take reports: the limit and the usage at it.
    pub(crate) async fn refused_take(&self, account: AccountId) -> StoreResult<Take> {
        Ok(Take {
            limit: self.account_plan(account).await?.conversations,
            taken: Taken::Refused(self.usage(account).await?),
            webhooks: false,
        })
    }

    pub async fn usage(&self, account: AccountId) -> StoreResult<Usage> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT conversations_used, cycle_start FROM accounts WHERE id = $1")
                .bind(account.get())
                .fetch_optional(self.pool())
                .await?;
        let (used, cycle_start) = row.ok_or(StoreError::NotFound)?;
        Ok(Usage { used, cycle_start })
    }

    /// Sets an account's usage by hand (support cases).
    pub async fn set_usage(&self, account: AccountId, used: i64) -> StoreResult<()> {
        let done = sqlx::query("UPDATE accounts SET conversations_used = $2 WHERE id = $1")
            .bind(account.get())
            .bind(used.max(0))
            .execute(self.pool())
            .await?;
        StoreError::found(done.rows_affected())
    }

    /// Starts a new cycle, with usage 0, for every account whose cycle
    /// ended by `now` (catching up months missed while nothing ran). Each
    /// update names the cycle it replaces, so running this twice, or on two
    /// instances at once, resets each cycle once. Returns how many.
    pub async fn reset_due_usage(&self, now: i64) -> StoreResult<u64> {
        // A month is at least 28 days: only those accounts can be due.
        let candidates: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, cycle_start, cancel_at_period_end, plan, billing_subscription FROM accounts \
             WHERE cycle_start <= $1",
        )
        .bind(now - 28 * 86_400)
        .fetch_all(self.pool())
        .await?;
        let mut reset = 0;
        for (id, start, cancelling, plan, provider_subscription) in candidates {
            let mut next = start;
            while add_month(next) <= now {
                next = add_month(next);
            }
            if next == start {
                continue;
            }
            // A cancellation made here (not through a payment provider,
            // whose own event ends its subscriptions) takes effect now.
            let done = sqlx::query(
                "UPDATE accounts SET cycle_start = $2, conversations_used = 0, \
                   plan = CASE WHEN cancel_at_period_end = 1 AND billing_subscription = '' THEN 'free' ELSE plan END, \
                   subscription_status = CASE WHEN cancel_at_period_end = 1 AND billing_subscription = '' \
                     THEN 'cancelled' ELSE subscription_status END, \
                   cancel_at_period_end = CASE WHEN billing_subscription = '' THEN 0 ELSE cancel_at_period_end END \
                 WHERE id = $1 AND cycle_start = $3",
            )
            .bind(id)
            .bind(next)
            .bind(start)
            .execute(self.pool())
            .await?
            .rows_affected();
            if done == 1 && cancelling == 1 && provider_subscription.is_empty() {
                let account = AccountId::from_raw(id);
                if plan != "free" {
                    self.record_plan_change(account, &plan, "free", next)
                        .await?;
                }
                self.apply_plan_limits(account).await?;
            }
            reset += done;
        }
        Ok(reset)
    }
}

/// `at` plus one calendar month (UTC), the day clamped to the month's
/// length: Jan 31 → Feb 28/29.
pub fn add_month(at: i64) -> i64 {
    let days = at.div_euclid(86_400);
    let seconds = at.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (year, month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let day = day.min(days_in_month(year, month));
    days_from_civil(year, month, day) * 86_400 + seconds
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 → (year, month 1–12, day 1–31), proleptic
/// Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What [`take_in`] found of one account for a batch of turns.
pub(crate) struct Grant {
    /// Used before the batch.
    used: i64,
    cycle_start: i64,
    limit: Option<i64>,
    webhooks: bool,
    /// How many of the turns asked for were granted.
    granted: i64,
}

impl Grant {
    /// The batch's `nth` take (from 0): granted while the allowance lasted,
    /// with the usage after it.
    pub(crate) fn take(&self, nth: i64) -> Option<Take> {
        (nth < self.granted).then_some(Take {
            taken: Taken::Granted(Usage {
                used: self.used + nth + 1,
                cycle_start: self.cycle_start,
            }),
            limit: self.limit,
            webhooks: self.webhooks,
        })
    }
}

/// Takes up to `wanted` conversations from `account`'s allowance unless
/// its plan's monthly limit is reached, in the chat writer's transaction
/// ([`crate::turns`]): the account row read — locked on PostgreSQL; on
/// SQLite the writer holds the only write lock — and counted once for all
/// of them, so concurrent turns can never go over the limit. The same
/// read says whether the account has webhook endpoints, so a turn of an
/// account without any does not read them. `None`: no such account.
pub(crate) async fn take_in(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    account: AccountId,
    wanted: i64,
) -> StoreResult<Option<Grant>> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let found: Option<(i64, i64, Option<i64>, i64)> = sqlx::query_as(&format!(
        "SELECT conversations_used, cycle_start, \
         (SELECT p.conversations FROM plans p WHERE p.id = accounts.plan), \
         (SELECT COUNT(*) FROM webhook_endpoints e WHERE e.account_id = accounts.id) \
         FROM accounts WHERE id = $1{lock}"
    ))
    .bind(account.get())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((used, cycle_start, limit, webhooks)) = found else {
        return Ok(None);
    };
    let granted = match limit {
        Some(limit) => wanted.min((limit - used).max(0)),
        None => wanted,
    };
    if granted > 0 {
        sqlx::query(
            "UPDATE accounts SET conversations_used = conversations_used + $2 WHERE id = $1",
        )
        .bind(account.get())
        .bind(granted)
        .execute(&mut *conn)
        .await?;
    }
    Ok(Some(Grant {
        used,
        cycle_start,
        limit,
        webhooks: webhooks > 0,
        granted,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn a_month_later_keeps_the_day_and_time_or_clamps_it() {
        // 2026-01-15 10:30 UTC → 2026-02-15 10:30.
        let jan15 = 1_768_473_000;
        assert_eq!(add_month(jan15), jan15 + 31 * DAY);
        // 2026-01-31 → 2026-02-28; 2028-01-31 → 2028-02-29 (leap).
        let jan31 = days_from_civil(2026, 1, 31) * DAY;
        assert_eq!(civil_from_days(add_month(jan31) / DAY), (2026, 2, 28));
        let leap = days_from_civil(2028, 1, 31) * DAY;
        assert_eq!(civil_from_days(add_month(leap) / DAY), (2028, 2, 29));
        // December rolls into January.
        let dec = days_from_civil(2026, 12, 5) * DAY + 7;
        assert_eq!(add_month(dec), days_from_civil(2027, 1, 5) * DAY + 7);
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
