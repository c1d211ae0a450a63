//! The second half of a chat turn. The door generates the answer [`begin`]
//! prepared (as JSON or as a stream, which is the door's business); then
//! [`Answering::store`] keeps it with its sources and latency, files a
//! refusal under its content gap in the same commit, and sends
//! `message.answered`.
//!
//! [`begin`]: super::turn::begin

use std::sync::Arc;
use std::time::Instant;

use witzo_retrieval::{Answerer, Question, Source};
use witzo_store::conversations::NewMessage;
use witzo_store::domain::{Role, WidgetId, random_public_id};

use super::respond::{self, Score};
use super::turn::{StoredAnswer, Turn, UsageView};
use crate::core::Core;
use crate::error::AppResult;
use crate::webhooks::events::PendingAnswer;
use crate::widgets::cache::PublicWidget;

/// One answer in progress: what generating it needs, and what storing it
/// will need.
pub struct Answering {
    pub conversation_id: String,
    /// The answer's public id (`m_…`), known before it is generated.
    pub message_id: String,
    pub answerer: Arc<dyn Answerer>,
    pub usage: UsageView,
    conversation: i64,
    /// Retrieval's scores of each passage.
    scores: Vec<Score>,
    /// Whether a reply without sources opens the widget's lead form.
    offer_lead_form: bool,
    started: Instant,
    /// What a refusal is filed under in the content gaps: the widget and
    /// the visitor's question; `None` for small talk and the preview.
    gap: Option<(WidgetId, String)>,
    /// The `message.answered` event, sent once the answer is stored;
    /// `None` for the preview.
    pending: Option<PendingAnswer>,
    /// The answer, when it was stored with the turn.
    stored: Option<StoredAnswer>,
}

impl Answering {
    /// The turn's answer to generate, and the question to generate it for.
    pub fn new(widget: &PublicWidget, turn: Turn) -> (Self, Question) {
        let gap = (!widget.preview && !turn.small_talk)
            .then(|| (widget.live.widget.id, turn.question.text.clone()));
        let message_id = turn
            .stored_answer
            .as_ref()
            .map_or_else(|| random_public_id("m_"), |stored| stored.public_id.clone());
        let answering = Self {
            conversation_id: turn.conversation_id,
            message_id,
            answerer: turn.answerer,
            usage: turn.usage,
            conversation: turn.conversation,
            scores: turn.scores,
            offer_lead_form: turn.offer_lead_form,
            started: Instant::now(),
            gap,
            pending: turn.pending_answer,
            stored: turn.stored_answer,
        };
        (answering, turn.question)
    }

    /// Whether the widget opens its lead form under this answer: it has no
    /// sources and the form can take the visitor's contact details.
    pub fn offers_lead_form(&self, sources: &[Source]) -> bool {
        self.offer_lead_form && sources.is_empty()
    }

    /// Stores the generated answer (unless it was stored with the turn) and
    /// sends `message.answered`; returns the answer's latency.
    pub async fn store(&self, core: &Core, answer: &str, sources: &[Source]) -> AppResult<i64> {
        let latency_ms = match &self.stored {
            Some(stored) => stored.latency_ms,
            None => i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        // No sources: retrieval found nothing to quote ("I don't know").
        let refused = sources.is_empty() && self.gap.is_some();
        if self.stored.is_none() {
            let stored = respond::sources_json(&self.scores, sources);
            // A refusal's question is filed under its content gap in the
            // answer's commit.
            let gap = match (&self.gap, refused) {
                (Some((_, question)), true) => crate::gaps::vector(core, question).await,
                _ => None,
            };
            let message = NewMessage {
                public_id: &self.message_id,
                role: Role::Assistant,
                body: answer,
                sources: &stored,
                latency_ms: Some(latency_ms),
            };
            // Counted in the top questions: not small talk, not the preview.
            let question = self
                .gap
                .as_ref()
                .map(|(widget, question)| (*widget, question.as_str()));
            core.store
                .add_answer(
                    self.conversation,
                    &message,
                    refused,
                    question,
                    gap,
                    witzo_store::now(),
                )
                .await?;
        }
        if let Some(pending) = &self.pending {
            let at = witzo_store::now();
            pending
                .answered(core, &self.message_id, answer, sources, refused, at)
                .await;
        }
        Ok(latency_ms)
    }
}
