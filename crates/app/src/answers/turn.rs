//! A visitor's chat turn before its answer is generated: the allowance
//! taken (or, for the owner's preview, only read), the conversation opened
//! or continued, the message stored, and the answer prepared — what the
//! widget's `POST /v1/chat` and any other door onto chat share.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use utoipa::ToSchema;
use witzo_retrieval::{Answerer, Question, Turn as HistoryTurn};
use witzo_store::conversations::{Begun, KnownAnswer, NewMessage, Opening, Visit};
use witzo_store::domain::{
    AccountId, CleanText, EmailAddress, Role, WebUrl, WidgetId, WidgetKey, random_public_id,
};
use witzo_store::plans::Plan;
use witzo_store::usage::{Notice, Take, Taken, Usage};

use crate::answers::respond::{self, Early, Score};
use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::leads::capture;
use crate::mail::messages::UsageNotice;
use crate::webhooks::events::{self, ConversationCreated, PendingAnswer};
use crate::widgets::cache::{Current, PublicWidget};
use crate::widgets::plans;

/// A visitor's message, checked.
pub struct ChatInput<'a> {
    pub visitor_id: &'a str,
    /// The conversation to continue (`c_` + 32 hex digits).
    pub conversation_id: Option<&'a str>,
    pub message: CleanText,
    /// The page the widget was on, when it said.
    pub page_url: Option<&'a str>,
    /// ISO 3166 alpha-2 from the browser's language (`Accept-Language`), or
    /// empty.
    pub country: &'a str,
}

/// A turn ready to be answered.
pub struct Turn {
    pub conversation: i64,
    pub conversation_id: String,
    pub question: Question,
    pub answerer: Arc<dyn Answerer>,
    /// Retrieval's scores of each passage.
    pub scores: Vec<Score>,
    /// Whether a reply without sources opens the widget's lead form.
    pub offer_lead_form: bool,
    /// Small talk: never counted as a refusal or a question.
    pub small_talk: bool,
    pub usage: UsageView,
    /// What `message.answered` says of the turn once its answer is stored
    /// (`None` for the owner's preview).
    pub pending_answer: Option<PendingAnswer>,
    /// The answer, when it was known before the turn was written and so
    /// stored with the visitor's message (`answerer` gives it again).
    pub stored_answer: Option<StoredAnswer>,
}

/// An answer stored with its turn.
pub struct StoredAnswer {
    pub public_id: String,
    pub latency_ms: i64,
}

/// Takes the turn's conversation from the allowance (not for a preview),
/// records the visitor's message in its conversation and prepares the
/// answer from the widget's knowledge and the conversation so far.
pub async fn begin(state: &Core, widget: &PublicWidget, input: &ChatInput<'_>) -> AppResult<Turn> {
    let account = widget.live.widget.account_id;
    let now = witzo_store::now();
    let page = WebUrl::page_of(input.page_url);
    let visit = Visit {
        visitor_id: input.visitor_id,
        origin: &widget.origin,
        page_url: &page,
        preview: widget.preview,
    };
    let live = &widget.live;
    let store = &state.store;
    let new_id = random_public_id("c_");
    let opening = Opening {
        widget: live.widget.id,
        public_id: input.conversation_id,
        new_public_id: &new_id,
        visit: &visit,
    };
    let visitor_message = NewMessage {
        public_id: &random_public_id("m_"),
        role: Role::Visitor,
        body: input.message.as_str(),
        sources: "[]",
        latency_ms: None,
    };
    // A new conversation's answer known without retrieving (a remembered
    // answer, small talk, an owner's correction) is stored in the turn's
    // own commit: one write for the whole turn instead of two.
    let started = Instant::now();
    let early = match input.conversation_id {
        None => Some(
            respond::early(
                state,
                live,
                widget.knowledge_version,
                input.message.as_str(),
                Vec::new(),
            )
            .await?,
        ),
        Some(_) => None,
    };
    let (known, pending) = match early {
        Some(Early::Known(prepared)) => (Some(prepared), None),
        Some(Early::Retrieve(pending)) => (None, Some(pending)),
        None => (None, None),
    };
    let answered = match &known {
        Some(prepared) => {
            let (text, sources) =
                respond::collect(prepared.answerer.as_ref(), prepared.question.clone()).await;
            // Counted (and a refusal filed as a gap): not small talk, not
            // the preview.
            let counted = !widget.preview && !prepared.small_talk;
            Some(EarlyAnswer {
                public_id: random_public_id("m_"),
                refused: counted && sources.is_empty(),
                sources: respond::sources_json(&prepared.scores, &sources),
                text,
                counted,
                latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            })
        }
        None => None,
    };
    // A refusal's question is filed under its content gap in the same
    // commit.
    let gap = match &answered {
        Some(early) if early.refused => crate::gaps::vector(state, input.message.as_str()).await,
        _ => None,
    };
    let known_answer = answered.as_ref().map(|early| KnownAnswer {
        message: NewMessage {
            public_id: &early.public_id,
            role: Role::Assistant,
            body: &early.text,
            sources: &early.sources,
            latency_ms: Some(early.latency_ms),
        },
        refused: early.refused,
        question: early
            .counted
            .then(|| (live.widget.id, input.message.as_str())),
        gap,
    });
    // The allowance taken (not for a preview), the conversation opened or
    // continued and the message stored: one commit.
    let take_from = (!widget.preview).then_some(account);
    let (take, conversation, conversation_id, answer) = match store
        .begin_turn(
            take_from,
            &opening,
            &visitor_message,
            known_answer.as_ref(),
            now,
        )
        .await?
    {
        Begun::Started {
            take,
            conversation,
            public_id,
            answer,
        } => (take, conversation, public_id, answer),
        Begun::Refused(take) => return Err(refusal(state, account, take).await),
    };
    let stored_answer = answer.zip(answered).map(|(_, early)| StoredAnswer {
        public_id: early.public_id,
        latency_ms: early.latency_ms,
    });
    // Whether the turn has webhook endpoints to tell (never the preview).
    let (usage, webhooks) = match take {
        Some(Take {
            taken: Taken::Granted(usage),
            limit,
            webhooks,
        }) => (granted(state, account, usage, limit), webhooks),
        Some(refused) => return Err(refusal(state, account, refused).await),
        None => (preview_usage(state, account).await?, false),
    };
    let opened = conversation_id == new_id;
    // The conversation so far, for an LLM answer, before this message (a
    // conversation opened just now has none).
    let history = if opened {
        Vec::new()
    } else {
        let window = i64::from(state.config.answers.history_messages);
        let mut recent = store.recent_messages(conversation, window + 1).await?;
        // This message, stored above.
        recent.pop();
        recent
            .into_iter()
            .map(|(role, text)| HistoryTurn {
                visitor: role == Role::Visitor,
                text,
            })
            .collect()
    };
    // The owner's endpoints, read once for both of the turn's events.
    let endpoints = if webhooks {
        events::endpoints_of(state, account).await
    } else {
        Vec::new()
    };
    if !widget.preview && opened {
        let created = ConversationCreated {
            account,
            widget: live.widget.id,
            conversation_id: &conversation_id,
            visitor_id: input.visitor_id,
            page_url: &page,
            question: input.message.as_str(),
            created_at: now,
            endpoints: &endpoints,
        };
        events::conversation_created(state, &created).await;
    }
    if !widget.preview {
        capture::from_chat(
            state,
            widget,
            input.visitor_id,
            &conversation_id,
            input.message.as_str(),
            input.country,
        )
        .await?;
    }
    let prepared = match (known, pending) {
        (Some(prepared), _) => prepared,
        // A new conversation: no history, so what `early` found stands.
        (None, Some(pending)) => respond::retrieve(state, pending).await,
        (None, None) => {
            respond::prepare(
                state,
                live,
                widget.knowledge_version,
                input.message.as_str(),
                history,
            )
            .await?
        }
    };
    let pending_answer = (!widget.preview).then(|| PendingAnswer {
        account,
        widget: live.widget.id,
        conversation_id: conversation_id.clone(),
        question: input.message.as_str().to_owned(),
        endpoints,
    });
    Ok(Turn {
        pending_answer,
        conversation,
        conversation_id,
        question: prepared.question,
        answerer: prepared.answerer,
        scores: prepared.scores,
        offer_lead_form: prepared.offer_lead_form,
        small_talk: prepared.small_talk,
        usage,
        stored_answer,
    })
}

/// An answer known before its turn is written.
struct EarlyAnswer {
    public_id: String,
    text: String,
    /// The sources as stored (`respond::sources_json`).
    sources: String,
    refused: bool,
    /// Whether its question counts: not small talk, not the preview.
    counted: bool,
    latency_ms: i64,
}

/// The owner's monthly allowance after this answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageView {
    /// Answers left this cycle; absent when unlimited.
    remaining: Option<i64>,
    /// Unix seconds the allowance renews.
    reset_at: i64,
    /// Present from 90 % of the allowance on.
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

/// Tells the owner, in the background, when this answer reached 90 % or
/// 100 % of the allowance — each once per cycle (claimed atomically): the
/// `usage.threshold` webhook event, then the e-mail. (Usage set above a
/// threshold by hand or by a smaller plan is told at the next crossing.)
fn notify_owner(state: &Core, account: AccountId, limit: i64, usage: Usage) {
    // Told by the take that crossed the threshold, so the message gives
    // the count it was crossed at (a later take, racing it to the claim,
    // would report a later one); the claim still sends each once.
    let before = usage.used - 1;
    let notice = if usage.used >= limit && before < limit {
        Notice::Exhausted
    } else if plans::nearly_used(usage.used, limit) && !plans::nearly_used(before, limit) {
        Notice::Warning
    } else {
        return;
    };
    let state = state.clone();
    tokio::spawn(async move {
        let store = &state.store;
        let sent = async {
            if !store
                .claim_notice(account, notice, usage.cycle_start)
                .await?
            {
                return Ok(());
            }
            let Plan {
                id: plan_id,
                name: plan,
                ..
            } = store.account_plan(account).await?;
            events::usage_threshold(&state, account, &plan_id, limit, usage, notice).await;
            let owner = store.account_by_id(account).await?;
            let email = EmailAddress::parse(&owner.email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let renews = crate::format::utc_minute(usage.resets_at());
            let email_notice = UsageNotice {
                used: usage.used,
                limit,
                plan: &plan,
                renews: &renews,
                exhausted: notice == Notice::Exhausted,
            };
            state.mailer.send(&email, &email_notice).await?;
            anyhow::Ok(())
        };
        if let Err(err) = sent.await {
            tracing::warn!(%err, "could not send a usage notice");
        }
    });
}

impl UsageView {
    fn of(usage: Usage, limit: Option<i64>) -> Self {
        Self {
            remaining: limit.map(|limit| (limit - usage.used).max(0)),
            reset_at: usage.resets_at(),
            warning: limit
                .filter(|&limit| plans::nearly_used(usage.used, limit))
                .map(|limit| format!("{} of {limit} conversations used this month", usage.used)),
        }
    }
}

/// The owner trying their widget in the dashboard's preview: answered
/// without taking from the allowance.
async fn preview_usage(state: &Core, account: AccountId) -> AppResult<UsageView> {
    let plan = state.store.account_plan(account).await?;
    let usage = state.store.usage(account).await?;
    Ok(UsageView::of(usage, plan.conversations))
}

/// A conversation taken from the owner's monthly allowance (after the
/// key, origin and rate checks, before anything is generated): counted,
/// and the owner told at 90 % and 100 %.
fn granted(state: &Core, account: AccountId, usage: Usage, limit: Option<i64>) -> UsageView {
    state.metrics.conversation("taken");
    if let Some(limit) = limit {
        notify_owner(state, account, limit, usage);
    }
    UsageView::of(usage, limit)
}

/// The allowance is used up: a 403 with the figures.
async fn refusal(state: &Core, account: AccountId, take: Take) -> AppError {
    state.metrics.conversation("refused");
    let usage = match take.taken {
        Taken::Granted(usage) | Taken::Refused(usage) => usage,
    };
    let plan = match state.store.account_plan(account).await {
        Ok(plan) => plan,
        Err(err) => return err.into(),
    };
    AppError::new(
        ErrorCode::ConversationLimitReached,
        "This assistant has answered all the questions its plan allows this month.",
    )
    .details(serde_json::json!({
        "used": usage.used,
        "limit": take.limit,
        "plan": plan.id,
        "reset_at": usage.resets_at(),
        // The widget then offers the lead form instead (paid plans).
        "lead_form": plan.features.lead_form_fallback.0,
    }))
}

/// The widget as the owner API's server-side chat answers for it: its live
/// settings and knowledge, as the widget's own chat would see them, for
/// one of the account's widgets that is switched on.
pub async fn server_widget(
    core: &Core,
    account: AccountId,
    widget: WidgetId,
) -> AppResult<PublicWidget> {
    let widget = core.store.widget_of(account, widget).await?;
    let key = WidgetKey::parse(&widget.public_key).map_err(AppError::internal)?;
    let Current {
        live,
        knowledge_version,
    } = core
        .widgets
        .get(&core.store, &key)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !live.widget.active.0 {
        return Err(AppError::new(
            ErrorCode::WidgetInactive,
            "This widget is switched off.",
        ));
    }
    Ok(PublicWidget {
        live,
        knowledge_version,
        origin: "api".to_owned(),
        preview: false,
    })
}
