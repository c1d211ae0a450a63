//! The analytics report: a period (the last 7, 30 or 90 days, or custom
//! dates) for one widget or all, read from the rollups the database keeps
//! as events arrive (`witzo_store::analytics`), with per-day series, the
//! busiest hours, the most asked questions and usage against the plan.

pub mod chart;
pub mod days;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use witzo_store::analytics::{Counts, Period, TopQuestion};
use witzo_store::domain::{AccountId, WidgetId};

use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};

/// A widget id from a query string, where a form's "All widgets" sends an
/// empty value: empty is absent. Exactly what the schema states
/// (`^([1-9][0-9]{0,17})?$`): no sign, space or leading zero.
pub fn widget_param<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    match raw.as_deref() {
        None | Some("") => Ok(None),
        Some(v)
            if v.len() <= 18 && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0') =>
        {
            v.parse()
                .map(Some)
                .map_err(|_| serde::de::Error::custom("widget must be a widget id"))
        }
        Some(_) => Err(serde::de::Error::custom("widget must be a widget id")),
    }
}

/// The longest custom period, in days.
pub const MAX_DAYS: i64 = 366;

/// Which period and widget a report covers.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `7`, `30` or `90` (the last days, today included) or `custom`
    /// (`from` to `to`; without `to`, up to today; without `from`, the 30
    /// days up to `to`); default `30`.
    #[param(pattern = "^(7|30|90|custom)$")]
    pub range: Option<String>,
    /// First day (`YYYY-MM-DD`) of a custom period.
    #[param(
        pattern = "^(?:2[0-9]{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-9])))?$"
    )]
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`, included) of a custom period.
    #[param(
        pattern = "^(?:2[0-9]{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-9])))?$"
    )]
    pub to: Option<String>,
    /// One widget's figures; all widgets when absent.
    #[serde(default, deserialize_with = "widget_param")]
    #[param(value_type = Option<String>, pattern = "^([1-9][0-9]{0,17})?$")]
    pub widget: Option<i64>,
}

/// A period resolved to day numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from_day: i64,
    /// Exclusive.
    pub to_day: i64,
    pub widget: Option<WidgetId>,
    /// `7`, `30`, `90`, or 0 for custom.
    pub preset: i64,
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::new(ErrorCode::ValidationFailed, message).field(field)
}

impl ReportQuery {
    /// The period, checked: presets end today; custom dates must exist,
    /// `from` ≤ `to`, at most [`MAX_DAYS`] days.
    pub fn resolve(&self, today: i64) -> AppResult<Range> {
        let widget = match self.widget {
            Some(id) if id > 0 => Some(WidgetId::from_raw(id)),
            Some(_) => return Err(invalid("widget", "widget must be a widget id")),
            None => None,
        };
        let preset = match self.range.as_deref() {
            None | Some("30") => 30,
            Some("7") => 7,
            Some("90") => 90,
            Some("custom") => 0,
            Some(_) => return Err(invalid("range", "range must be 7, 30, 90 or custom")),
        };
        let day = |field: &str, raw: &Option<String>| {
            raw.as_deref()
                .and_then(days::parse)
                .ok_or_else(|| invalid(field, &format!("{field} must be a date, YYYY-MM-DD")))
        };
        let given = |raw: &Option<String>| raw.as_deref().is_some_and(|r| !r.is_empty());
        // A preset period ignores from and to (the page's form sends all
        // three), which must still be days or empty.
        if preset > 0 {
            for (field, raw) in [("from", &self.from), ("to", &self.to)] {
                if given(raw) {
                    day(field, raw)?;
                }
            }
            return Ok(Range {
                from_day: today + 1 - preset,
                to_day: today + 1,
                widget,
                preset,
            });
        }
        let to = if given(&self.to) {
            day("to", &self.to)?
        } else {
            today
        };
        let from = if given(&self.from) {
            day("from", &self.from)?
        } else {
            to + 1 - 30
        };
        if from > to {
            return Err(invalid("to", "to must not be before from"));
        }
        if to - from + 1 > MAX_DAYS {
            return Err(invalid("to", "a period is at most 366 days"));
        }
        Ok(Range {
            from_day: from,
            to_day: to + 1,
            widget,
            preset: 0,
        })
    }
}

/// One day of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayFigures {
    /// `YYYY-MM-DD`.
    pub date: String,
    #[serde(flatten)]
    pub counts: Counts,
    pub visitors: i64,
}

/// Usage of the plan's monthly conversations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanUsage {
    pub plan: String,
    pub used: i64,
    /// `None`: unlimited.
    pub limit: Option<i64>,
    pub resets_at: i64,
}

/// The analytics report of a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day (included), `YYYY-MM-DD`.
    pub to: String,
    pub widget: Option<i64>,
    /// Days are cut at this offset from UTC, in minutes.
    pub utc_offset_minutes: i64,
    pub totals: Counts,
    /// Distinct visitors over the period.
    pub visitors: i64,
    /// Conversations per 100 widget loads; `None` without loads.
    pub engagement_percent: Option<i64>,
    /// Answers with content, per 100 answers; `None` without answers.
    pub answered_percent: Option<i64>,
    /// Ratings up per 100 ratings; `None` without ratings.
    pub satisfaction_percent: Option<i64>,
    /// Every day of the period, oldest first.
    pub days: Vec<DayFigures>,
    /// Visitor messages per hour of the day (0–23, the account's offset).
    pub hours: Vec<i64>,
    pub top_questions: Vec<TopQuestion>,
    pub usage: PlanUsage,
    #[serde(skip)]
    pub range: Option<Range>,
}

fn percent(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 100 + whole / 2) / whole)
}

/// Builds the report of `range` for the account.
pub async fn report(state: &Core, account: AccountId, range: Range) -> AppResult<Report> {
    let store = &state.store;
    if let Some(widget) = range.widget {
        store.widget_of(account, widget).await?;
    }
    let settings = store.report_settings(account).await?;
    let period = Period {
        account,
        widget: range.widget,
        from_day: range.from_day,
        to_day: range.to_day,
        offset_minutes: settings.utc_offset_minutes,
    };
    // Independent reads, run side by side on the pool.
    let (totals, counted, visitors, hours, top_questions, plan, usage) = tokio::try_join!(
        store.analytics_totals(&period),
        store.analytics_days(&period),
        store.analytics_visitors(&period),
        store.analytics_hours(&period),
        store.analytics_top_questions(&period, 10),
        store.account_plan(account),
        store.usage(account),
    )?;
    let mut counted = counted.into_iter().peekable();
    let days = (range.from_day..range.to_day)
        .map(|day| {
            let found = counted.next_if(|d| d.day == day);
            DayFigures {
                date: days::format(day),
                counts: found.map(|d| d.counts).unwrap_or_default(),
                visitors: found.map_or(0, |d| d.visitors),
            }
        })
        .collect();
    let answers = totals.answered + totals.refused;
    Ok(Report {
        from: days::format(range.from_day),
        to: days::format(range.to_day - 1),
        widget: range.widget.map(WidgetId::get),
        utc_offset_minutes: settings.utc_offset_minutes,
        totals,
        visitors,
        engagement_percent: percent(totals.conversations, totals.loads),
        answered_percent: percent(totals.answered, answers),
        satisfaction_percent: percent(totals.rated_up, totals.rated_up + totals.rated_down),
        days,
        hours: hours.to_vec(),
        top_questions,
        usage: PlanUsage {
            plan: plan.name,
            used: usage.used,
            limit: plan.conversations,
            resets_at: usage.resets_at(),
        },
        range: Some(range),
    })
}

/// Today's day number for the account.
pub async fn today(state: &Core, account: AccountId) -> AppResult<i64> {
    let settings = state.store.report_settings(account).await?;
    Ok(days::today(witzo_store::now(), settings.utc_offset_minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(range: &str, from: Option<&str>, to: Option<&str>) -> ReportQuery {
        ReportQuery {
            range: Some(range.to_owned()),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            widget: None,
        }
    }

    #[test]
    fn the_widget_filter_takes_an_id_or_nothing_as_its_schema_says() {
        let widget = |raw: &str| {
            serde_json::from_value::<ReportQuery>(serde_json::json!({ "widget": raw }))
                .map(|q| q.widget)
                .ok()
        };
        assert_eq!(widget(""), Some(None));
        assert_eq!(widget("5"), Some(Some(5)));
        assert_eq!(
            widget("123456789012345678"),
            Some(Some(123_456_789_012_345_678))
        );
        for bad in [
            "05",
            " 5",
            "5 ",
            "-1",
            "+1",
            "0",
            "abc",
            "1234567890123456789",
        ] {
            assert_eq!(widget(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn periods_are_resolved_and_bad_ones_refused() {
        let today = days::parse("2026-12-05").unwrap_or(0);
        let last7 = q("7", None, None).resolve(today).ok();
        assert_eq!(
            last7.map(|r| (r.to_day - r.from_day, r.to_day)),
            Some((7, today + 1))
        );
        let custom = q("custom", Some("2026-11-01"), Some("2026-11-30"))
            .resolve(today)
            .ok();
        assert_eq!(custom.map(|r| r.to_day - r.from_day), Some(30));
        // A custom period without `to` ends today; without `from`, it is
        // the 30 days up to `to`.
        let open = |from: Option<&str>, to: Option<&str>| {
            q("custom", from, to)
                .resolve(today)
                .ok()
                .map(|r| (r.from_day, r.to_day))
        };
        let nov30 = days::parse("2026-11-30").unwrap_or(0);
        assert_eq!(
            open(None, Some("2026-11-30")),
            Some((nov30 - 29, nov30 + 1))
        );
        assert_eq!(open(Some("2026-11-30"), None), Some((nov30, today + 1)));
        assert_eq!(open(None, None), Some((today - 29, today + 1)));
        for bad in [
            q("8", None, None),
            q("custom", Some("2026-12-01"), Some("2026-11-01")),
            q("custom", Some("2024-01-01"), Some("2026-01-01")),
            q("custom", Some("2026-02-30"), Some("2026-03-01")),
            q("custom", Some("2027-01-01"), None),
        ] {
            let err = bad.resolve(today).err().map(|e| e.code());
            assert_eq!(err, Some(ErrorCode::ValidationFailed));
        }
    }
}
