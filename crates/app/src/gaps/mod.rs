//! Content gaps: questions visitors asked that were refused ("I don't
//! know") or rated down, grouped by meaning with the configured embedder
//! (the question's content words, as Q&A matching embeds them), listed
//! biggest or newest first; "Add an answer" stores an owner Q&A pair for
//! the group and marks it resolved; an opt-in weekly digest e-mails the
//! top five.

pub mod digest;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use witzo_store::domain::{AccountId, WidgetId};
use witzo_store::gaps::{Gap, GapOrder, GapQuestion};
use witzo_store::qa::QaPair;

use crate::answers::qa::content;
use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::qa::QaInput;

/// The cosine a question needs with a group's centroid to join it. The
/// static table's vectors sit closer together than a transformer's.
pub fn threshold(model: &str) -> f32 {
    if model.starts_with("builtin") || model.contains("static") {
        0.72
    } else {
        0.6
    }
}

/// Files a refused or rated-down question of `widget` under its group, in
/// the background (it embeds), logging a failure.
pub fn record(state: &Core, widget: WidgetId, message: i64, question: String) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(err) = file(&state, widget, message, &question).await {
            tracing::warn!(cause = err.cause().unwrap_or_default(), widget.id = %widget, "could not file a content gap");
        }
    });
}

/// Files a question now (what [`record`] runs); `None` when the embedder
/// gave no vector.
pub async fn file(
    state: &Core,
    widget: WidgetId,
    message: i64,
    question: &str,
) -> AppResult<Option<i64>> {
    let embeddings = state.indexes.embeddings();
    let Some(vector) = embeddings.embed_question(&content(question)).await else {
        return Ok(None);
    };
    let model = embeddings.model_id().to_owned();
    let question: String = question.chars().take(500).collect();
    let gap = state
        .store
        .file_gap_question(
            &GapQuestion {
                widget,
                message,
                question: &question,
                vector: &vector,
                model: &model,
                now: witzo_store::now(),
            },
            threshold(&model),
        )
        .await?;
    Ok(Some(gap))
}

/// A visitor rated an answer down: its question joins the gaps.
pub async fn rated_down(state: &Core, widget: WidgetId, message: &str) -> AppResult<()> {
    if let Some((id, question)) = state.store.question_of_answer(widget, message).await? {
        record(state, widget, id, question);
    }
    Ok(())
}

/// Which gaps to list.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GapQuery {
    /// One widget's gaps.
    pub widget: Option<i64>,
    /// `open` (default) or `resolved`.
    #[param(pattern = "^(open|resolved)$")]
    pub state: Option<String>,
    /// `biggest` (default: most questions first) or `newest`.
    #[param(pattern = "^(biggest|newest)$")]
    pub sort: Option<String>,
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::new(ErrorCode::ValidationFailed, message).field(field)
}

pub async fn list(state: &Core, account: AccountId, query: &GapQuery) -> AppResult<Vec<Gap>> {
    let widget = match query.widget {
        Some(id) if id > 0 => Some(WidgetId::from_raw(id)),
        Some(_) => return Err(invalid("widget", "widget must be a widget id")),
        None => None,
    };
    let resolved = match query.state.as_deref() {
        None | Some("open") => false,
        Some("resolved") => true,
        Some(_) => return Err(invalid("state", "state must be open or resolved")),
    };
    let order = match query.sort.as_deref() {
        None | Some("biggest") => GapOrder::Biggest,
        Some("newest") => GapOrder::Newest,
        Some(_) => return Err(invalid("sort", "sort must be biggest or newest")),
    };
    Ok(state
        .store
        .gaps_of(account, widget, resolved, order, 100)
        .await?)
}

/// The owner's answer to a gap: the question (its newest example when
/// absent) and the answer visitors should get.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GapAnswer {
    /// Up to 500 characters; the group's newest question when absent.
    #[schema(schema_with = crate::fields::nullable_text::<500>)]
    pub question: Option<String>,
    /// Given verbatim; up to 4,000 characters, not blank.
    #[schema(schema_with = crate::fields::required_text::<4000>)]
    pub answer: String,
}

/// "Add an answer": a Q&A pair for the gap's widget, and the gap resolved.
pub async fn answer(
    state: &Core,
    account: AccountId,
    gap: i64,
    input: &GapAnswer,
) -> AppResult<QaPair> {
    let found = state.store.gap_of(account, gap).await?;
    if found.resolved_at.is_some() {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "This gap is already resolved.",
        ));
    }
    let question = match input.question.as_deref().filter(|q| !q.trim().is_empty()) {
        Some(q) => q.to_owned(),
        None => found.examples.first().cloned().unwrap_or_default(),
    };
    let pair = QaInput {
        question,
        answer: input.answer.clone(),
    }
    .parse()?;
    let widget = WidgetId::from_raw(found.widget_id);
    let added = crate::qa::add(state, account, widget, &pair).await?;
    state
        .store
        .resolve_gap(account, gap, Some(added.id), witzo_store::now())
        .await?;
    Ok(added)
}

/// The top open gap, for the overview.
pub async fn top(state: &Core, account: AccountId) -> AppResult<Option<Gap>> {
    Ok(state
        .store
        .gaps_of(account, None, false, GapOrder::Biggest, 1)
        .await?
        .into_iter()
        .next())
}

/// What a gap answer said to the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Resolved {
    pub gap_id: i64,
    pub qa: QaPair,
}
