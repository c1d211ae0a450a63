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
use witzo_store::gaps::{Gap, GapOrder, GapQuestion, GapVector};
use witzo_store::qa::QaPair;

use crate::answers::qa::content;
use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::qa::QaInput;

/// The cosine a question needs with a group's centroid to join it.
/// Calibrated for the built-in static table on three paraphrase families
/// (the test below): within a family pairs score 0.37 and up, across
/// families at most 0.48 (a shared "shop"), and against a growing
/// centroid 0.45 keeps the families whole and apart in any order; 0.5
/// splits the loosest one. The transformer value is not calibrated yet.
pub fn threshold(model: &str) -> f32 {
    if model.contains("static") { 0.45 } else { 0.5 }
}

/// Files a refused or rated-down question of `widget` under its group
/// (it embeds), logging a failure rather than failing the reply. Filed
/// before the reply, so one visitor's questions are grouped in the order
/// they were asked (grouping against a growing centroid depends on it).
pub async fn record(state: &Core, widget: WidgetId, message: i64, question: &str) {
    if let Err(err) = file(state, widget, message, question).await {
        tracing::warn!(cause = err.cause().unwrap_or_default(), widget.id = %widget, "could not file a content gap");
    }
}

/// Files a question (what [`record`] runs); `None` when the embedder
/// gave no vector.
pub async fn file(
    state: &Core,
    widget: WidgetId,
    message: i64,
    question: &str,
) -> AppResult<Option<i64>> {
    let Some(gap) = vector(state, question).await else {
        return Ok(None);
    };
    let filed = state
        .store
        .file_gap_question(
            &GapQuestion {
                widget,
                message,
                question,
                vector: &gap.vector,
                model: &gap.model,
                now: witzo_store::now(),
            },
            gap.threshold,
        )
        .await?;
    Ok(Some(filed))
}

/// What files `question` under its group: its vector (the content words,
/// as Q&A matching embeds them), the model and its threshold; `None` when
/// the embedder gave no vector. A refused chat answer carries it, so the
/// question is filed in the answer's own commit.
pub async fn vector(state: &Core, question: &str) -> Option<GapVector> {
    let embeddings = state.indexes.embeddings();
    let vector = embeddings.embed_question(&content(question)).await?;
    let model = embeddings.model_id().to_owned();
    Some(GapVector {
        vector,
        threshold: threshold(&model),
        model,
    })
}

/// A visitor rated an answer down: its question joins the gaps.
pub async fn rated_down(state: &Core, widget: WidgetId, message: &str) -> AppResult<()> {
    if let Some((id, question)) = state.store.question_of_answer(widget, message).await? {
        record(state, widget, id, &question).await;
    }
    Ok(())
}

/// Which gaps to list.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GapQuery {
    /// One widget's gaps.
    #[serde(default, deserialize_with = "crate::analytics::widget_param")]
    #[param(value_type = Option<String>, pattern = "^([1-9][0-9]{0,17})?$")]
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

#[cfg(test)]
mod tests {
    /// Three families of ten paraphrases, filed one question at a time
    /// against growing centroids as the store does, family by family and
    /// interleaved: three groups of ten either way.
    #[tokio::test]
    async fn paraphrase_families_make_one_group_each() {
        let e = crate::answers::embedding::Embeddings::builtin().unwrap();
        let threshold = super::threshold(e.model_id());
        let families: [[&str; 10]; 3] = [
            [
                "Do you sell gift cards?",
                "Can I buy a gift card?",
                "Are gift cards available?",
                "gift card for a friend",
                "Do you have gift cards?",
                "Where can I get a gift card?",
                "Can I purchase gift cards online?",
                "Is there a gift card?",
                "Do you offer gift cards?",
                "I want to buy a gift card",
            ],
            [
                "Is there parking nearby?",
                "Where can I park my car?",
                "Do you have parking?",
                "Is parking free?",
                "car parking near the shop?",
                "Can I park outside?",
                "Where is the nearest car park?",
                "Is there a parking lot?",
                "parking for customers?",
                "Where do I park?",
            ],
            [
                "Are dogs allowed inside?",
                "Can I bring my dog?",
                "Is my dog welcome?",
                "Do you allow dogs?",
                "dogs allowed in the shop?",
                "Can dogs come in?",
                "Are pets like dogs allowed?",
                "May I bring the dog inside?",
                "Is it ok to bring dogs?",
                "dog friendly?",
            ],
        ];
        let mut v = Vec::new();
        for (f, family) in families.iter().enumerate() {
            for q in family {
                v.push((f, e.embed_question(&super::content(q)).await.unwrap()));
            }
        }
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        for interleaved in [false, true] {
            let mut order: Vec<usize> = (0..v.len()).collect();
            if interleaved {
                order.sort_by_key(|i| (i % 10, i / 10));
            }
            let mut groups: Vec<(Vec<f32>, Vec<usize>)> = Vec::new();
            for i in order {
                let q = &v[i].1;
                let best = groups
                    .iter_mut()
                    .map(|g| {
                        let norm = g.0.iter().map(|x| x * x).sum::<f32>().sqrt();
                        (dot(&g.0, q) / norm, g)
                    })
                    .filter(|(score, _)| *score >= threshold)
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                match best {
                    Some((_, g)) => {
                        g.0.iter_mut().zip(q).for_each(|(a, b)| *a += b);
                        g.1.push(v[i].0);
                    }
                    None => groups.push((q.clone(), vec![v[i].0])),
                }
            }
            let mut families: Vec<Vec<usize>> = groups.into_iter().map(|g| g.1).collect();
            families.sort();
            assert_eq!(
                families,
                [vec![0; 10], vec![1; 10], vec![2; 10]],
                "interleaved: {interleaved}"
            );
        }
    }
}
