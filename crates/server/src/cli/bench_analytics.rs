//! `witzo bench analytics`: an account seeded with synthetic traffic (by
//! default 1M widget events and 200k messages over 90 days, through the
//! triggers that keep the rollups), then the analytics report — what the
//! Analytics page and `GET /api/analytics` compute per view — timed
//! server-side for 7, 30 and 90 days, all widgets and one; and the inbox's
//! first page, plain and searched.

use std::time::Instant;

use serde::Serialize;
use witzo_app::analytics::{self, ReportQuery};
use witzo_app::config::Config;
use witzo_app::conversations::{self, InboxQuery};
use witzo_store::domain::EmailAddress;
use witzo_store::widgets::WidgetFields;

use super::output::Format;
use crate::app::build_core;

#[derive(Serialize)]
struct Line {
    kind: &'static str,
    case: String,
    runs: usize,
    p50_ms: f64,
    p95_ms: f64,
    max_ms: f64,
}

/// A use case's error, for the command line.
fn app(err: witzo_app::error::AppError) -> anyhow::Error {
    anyhow::anyhow!(
        "{}: {}",
        err.code().as_str(),
        err.cause().unwrap_or(err.message()).to_owned()
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub(super) async fn analytics(
    config: &Config,
    events: usize,
    messages: usize,
    database_url: Option<String>,
    format: Format,
) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("bench-analytics-")
        .tempdir()?;
    let mut config = config.clone();
    config.data_dir = dir.path().to_path_buf();
    config.database_url = database_url.map(Into::into);
    config.secret_key = Some(
        "bench-secret-key-of-at-least-32-characters"
            .to_owned()
            .into(),
    );
    let core = build_core(config, None, url::Url::parse("http://127.0.0.1/")?).await?;
    let store = &core.store;
    let now = witzo_store::now();
    let account = store
        .create_account(&EmailAddress::parse("bench@example.com")?, now)
        .await?;
    let mut widgets = Vec::new();
    for name in ["Shop", "Blog", "Docs"] {
        let fields = WidgetFields {
            name,
            allowed_domains: &[],
            settings: "{}",
        };
        let key = witzo_store::domain::random_public_id("wk_");
        widgets.push(
            store
                .create_widget(account.id, &key, &fields, None, now)
                .await?
                .id,
        );
    }
    let seeding = Instant::now();
    store
        .seed_analytics(&widgets, events, messages, now)
        .await?;
    tracing::info!(
        events,
        messages,
        seconds = seeding.elapsed().as_secs_f64(),
        "seeded"
    );
    // What the hourly scheduler does to days that have ended.
    let compacting = Instant::now();
    let days = store.compact_visitors(now.div_euclid(86_400) - 1).await?;
    tracing::info!(
        days,
        seconds = compacting.elapsed().as_secs_f64(),
        "visitor days compacted"
    );
    store.analyze_after_seeding().await?;
    let today = analytics::today(&core, account.id).await.map_err(app)?;
    let mut cases: Vec<(String, ReportQuery)> = Vec::new();
    for range in ["7", "30", "90"] {
        cases.push((
            format!("report {range} days, all widgets"),
            ReportQuery {
                range: Some(range.into()),
                ..ReportQuery::default()
            },
        ));
    }
    cases.push((
        "report 90 days, one widget".into(),
        ReportQuery {
            range: Some("90".into()),
            widget: Some(widgets[0].get()),
            ..ReportQuery::default()
        },
    ));
    const RUNS: usize = 20;
    for (case, query) in cases {
        let range = query.resolve(today).map_err(app)?;
        analytics::report(&core, account.id, range)
            .await
            .map_err(app)?;
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let start = Instant::now();
            analytics::report(&core, account.id, range)
                .await
                .map_err(app)?;
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        emit(&case, times, format)?;
    }
    for (case, q) in [
        ("inbox first page", None),
        ("inbox search", Some("gift cards")),
    ] {
        let query = InboxQuery {
            q: q.map(str::to_owned),
            ..InboxQuery::default()
        };
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let start = Instant::now();
            conversations::list(&core, account.id, &query)
                .await
                .map_err(app)?;
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        emit(case, times, format)?;
    }
    Ok(())
}

fn emit(case: &str, mut times: Vec<f64>, format: Format) -> anyhow::Result<()> {
    times.sort_by(f64::total_cmp);
    let line = Line {
        kind: "analytics",
        case: case.to_owned(),
        runs: times.len(),
        p50_ms: percentile(&times, 0.5),
        p95_ms: percentile(&times, 0.95),
        max_ms: times.last().copied().unwrap_or(0.0),
    };
    format.print(&line, |l| {
        format!(
            "{:<34} p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  ({} runs)\n",
            l.case, l.p50_ms, l.p95_ms, l.max_ms, l.runs
        )
    })
}
