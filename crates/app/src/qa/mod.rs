//! Owner corrections as Q&A pairs, shared by the JSON API and the pages:
//! parse at the edge, check the plan (pairs count as documents against
//! its document limit), store. The chat path matches them in
//! [`crate::answers::qa`].

pub mod sheet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use witzo_store::domain::{
    AccountId, ConversationId, QA_QUESTION_MAX_CHARS, QaId, QaText, Role, WidgetId,
};
use witzo_store::qa::QaPair;

use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::widgets::plans::{Capped, check_limit};

/// A question and the answer the assistant should give to it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QaInput {
    /// Up to 500 characters, not blank.
    #[schema(schema_with = crate::fields::required_text::<500>)]
    pub question: String,
    /// Given verbatim; up to 4,000 characters, not blank.
    #[schema(schema_with = crate::fields::required_text::<4000>)]
    pub answer: String,
}

impl QaInput {
    pub fn parse(&self) -> AppResult<QaText> {
        QaText::parse(&self.question, &self.answer)
            .map_err(|e| AppError::new(ErrorCode::ValidationFailed, e.to_string()).field(e.field))
    }
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    /// Rows imported.
    pub imported: usize,
    /// The widget's pairs now.
    pub total: i64,
}

/// Refuses `adding` pairs beyond the plan's document limit; `freed` pairs
/// are about to be deleted (an import that replaces them).
async fn plan_gate(state: &Core, account: AccountId, freed: i64, adding: i64) -> AppResult<()> {
    let plan = state.store.account_plan(account).await?;
    let used = state
        .store
        .knowledge_count(account, witzo_store::domain::PageKind::Document)
        .await?
        - freed;
    check_limit(&state.store, &plan, Capped::Documents, used, adding).await
}

pub async fn add(
    state: &Core,
    account: AccountId,
    widget: WidgetId,
    pair: &QaText,
) -> AppResult<QaPair> {
    state.store.widget_of(account, widget).await?;
    plan_gate(state, account, 0, 1).await?;
    Ok(state
        .store
        .add_qa(account, widget, pair, witzo_store::now())
        .await?)
}

pub async fn update(
    state: &Core,
    account: AccountId,
    widget: WidgetId,
    id: QaId,
    pair: &QaText,
) -> AppResult<QaPair> {
    Ok(state
        .store
        .update_qa(account, widget, id, pair, witzo_store::now())
        .await?)
}

/// Imports a CSV file (see [`sheet::parse`]): every row or, on any error,
/// none. With `replace` the file becomes the widget's whole set.
pub async fn import(
    state: &Core,
    account: AccountId,
    widget: WidgetId,
    file: &[u8],
    replace: bool,
) -> AppResult<Imported> {
    state.store.widget_of(account, widget).await?;
    let pairs = sheet::parse(file)?;
    let freed = if replace {
        state.store.qa_count_of(account, widget).await?
    } else {
        0
    };
    let adding = i64::try_from(pairs.len()).unwrap_or(i64::MAX);
    plan_gate(state, account, freed, adding).await?;
    state
        .store
        .import_qa(account, widget, &pairs, replace, witzo_store::now())
        .await?;
    Ok(Imported {
        imported: pairs.len(),
        total: state.store.qa_count_of(account, widget).await?,
    })
}

/// Stores the owner's right answer to an assistant message of one of their
/// conversations, as a pair whose question is the visitor message before it
/// (its first 500 characters).
pub async fn correct(
    state: &Core,
    account: AccountId,
    conversation: &ConversationId,
    message: &str,
    answer: &str,
) -> AppResult<QaPair> {
    let (_, widget, messages) = state
        .store
        .conversation_of(account, conversation.as_str())
        .await?;
    let at = messages
        .iter()
        .position(|m| m.public_id == message && m.role == Role::Assistant)
        .ok_or_else(AppError::not_found)?;
    let asked = messages[..at]
        .iter()
        .rev()
        .find(|m| m.role == Role::Visitor)
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::ValidationFailed,
                "This answer follows no visitor message to answer.",
            )
            .field("message_id")
        })?;
    let question: String = asked.body.chars().take(QA_QUESTION_MAX_CHARS).collect();
    let input = QaInput {
        question,
        answer: answer.to_owned(),
    };
    let pair = add(state, account, widget, &input.parse()?).await?;
    state.store.mark_corrected(account, message).await?;
    Ok(pair)
}
