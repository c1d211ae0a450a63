//! The events besides `lead.*`, each built here and emitted from the one
//! place that knows it happened: `conversation.created` (a chat turn
//! opens a conversation, `answers::turn`), `message.answered` (an answer
//! is stored, the chat route), `source.trained` (a training job of a source
//! ends for good, `training::worker`) and `usage.threshold` (the monthly
//! allowance reaches 90 % or 100 %, claimed once per cycle with the owner's
//! e-mail). Emitting never fails what caused it: an error is logged and the
//! visitor's answer or the job goes on. The owner's preview sends none.

use serde_json::json;
use witzo_retrieval::Source;
use witzo_store::domain::{AccountId, JobStatus, PageStatus, SourceId, WidgetId};
use witzo_store::jobs::Job;
use witzo_store::usage::{Notice, Usage};
use witzo_store::webhooks::WebhookEndpoint;

use crate::core::Core;
use crate::error::AppResult;

pub const CONVERSATION_CREATED: &str = "conversation.created";
pub const MESSAGE_ANSWERED: &str = "message.answered";
pub const SOURCE_TRAINED: &str = "source.trained";
pub const USAGE_THRESHOLD: &str = "usage.threshold";

/// Failures a `source.trained` event lists at most.
pub const FAILURES_LISTED: i64 = 5;

/// [`super::emit`], with an error logged instead of returned.
pub(crate) async fn send(
    core: &Core,
    account: AccountId,
    widget: Option<WidgetId>,
    event: &'static str,
    data: serde_json::Value,
) {
    logged(
        account,
        event,
        super::emit(core, account, widget, event, data).await,
    );
}

/// [`super::emit_to`], with an error logged instead of returned.
async fn send_to(
    core: &Core,
    account: AccountId,
    endpoints: &[WebhookEndpoint],
    widget: WidgetId,
    event: &'static str,
    data: serde_json::Value,
) {
    let queued = super::emit_to(core, account, endpoints, Some(widget), event, data).await;
    logged(account, event, queued);
}

fn logged(account: AccountId, event: &'static str, queued: AppResult<()>) {
    if let Err(err) = queued {
        tracing::warn!(
            code = err.code().as_str(),
            cause = err.cause().unwrap_or_default(),
            %account,
            event,
            "could not queue a webhook event"
        );
    }
}

/// The account's endpoints, read once for both events of a chat turn;
/// none (logged) when they cannot be read: the answer goes on.
pub async fn endpoints_of(core: &Core, account: AccountId) -> Vec<WebhookEndpoint> {
    core.store.webhooks_of(account).await.unwrap_or_else(|err| {
        tracing::warn!(%err, %account, "could not read the webhook endpoints");
        Vec::new()
    })
}

/// A visitor's first message opened a conversation.
pub struct ConversationCreated<'a> {
    pub account: AccountId,
    pub widget: WidgetId,
    /// `c_…`
    pub conversation_id: &'a str,
    pub visitor_id: &'a str,
    /// The page the widget was on, or empty.
    pub page_url: &'a str,
    pub question: &'a str,
    pub created_at: i64,
    /// The account's endpoints ([`endpoints_of`]).
    pub endpoints: &'a [WebhookEndpoint],
}

pub async fn conversation_created(core: &Core, event: &ConversationCreated<'_>) {
    let data = json!({
        "conversation_id": event.conversation_id,
        "widget_id": event.widget,
        "visitor_id": event.visitor_id,
        "page_url": event.page_url,
        "question": event.question,
        "created_at": event.created_at,
    });
    send_to(
        core,
        event.account,
        event.endpoints,
        event.widget,
        CONVERSATION_CREATED,
        data,
    )
    .await;
}

/// A visitor's question whose answer is being written, for the
/// `message.answered` event sent once it is stored.
#[derive(Debug, Clone)]
pub struct PendingAnswer {
    pub account: AccountId,
    pub widget: WidgetId,
    /// `c_…`
    pub conversation_id: String,
    pub question: String,
    /// The account's endpoints as the turn began ([`endpoints_of`]).
    pub endpoints: Vec<WebhookEndpoint>,
}

impl PendingAnswer {
    /// Sends `message.answered`: the answer `message_id` (`m_…`), its text
    /// and sources, and whether it was a refusal (no source to answer from).
    pub async fn answered(
        &self,
        core: &Core,
        message_id: &str,
        answer: &str,
        sources: &[Source],
        refused: bool,
        at: i64,
    ) {
        let sources: Vec<serde_json::Value> = sources
            .iter()
            .map(|s| json!({"title": s.title, "url": s.url}))
            .collect();
        let data = json!({
            "conversation_id": self.conversation_id,
            "message_id": message_id,
            "widget_id": self.widget,
            "question": self.question,
            "answer": answer,
            "sources": sources,
            "refused": refused,
            "answered_at": at,
        });
        send_to(
            core,
            self.account,
            &self.endpoints,
            self.widget,
            MESSAGE_ANSWERED,
            data,
        )
        .await;
    }
}

/// Sends `source.trained` for a training job of `source` that ended for
/// good (`status`: succeeded, cancelled, or failed with no attempt left):
/// what its run did, read back from the pages it reached. A source
/// deleted since sends nothing.
pub async fn source_trained(core: &Core, job: &Job, source: SourceId, status: JobStatus) {
    let store = &core.store;
    let built = async {
        let source = match store.source_by_id(source).await {
            Ok(source) => source,
            Err(witzo_store::StoreError::NotFound) => return Ok(None),
            Err(err) => return Err(err),
        };
        let report = store.run_report(source.id, job.id, FAILURES_LISTED).await?;
        let data = json!({
            "source_id": source.id,
            "widget_id": source.widget_id,
            "kind": source.kind,
            "url": source.url,
            "job_id": job.id,
            "job_kind": job.task.kind(),
            "status": status,
            "source_status": source.status,
            "message": source.last_error,
            "trained": report.count(PageStatus::Indexed) + report.count(PageStatus::Unchanged),
            "indexed": report.count(PageStatus::Indexed),
            "unchanged": report.count(PageStatus::Unchanged),
            "skipped": report.count(PageStatus::Skipped),
            "failed": report.count(PageStatus::Failed),
            "failures": report.failures,
            "finished_at": witzo_store::now(),
        });
        Ok(Some((source.account_id, source.widget_id, data)))
    };
    match built.await {
        Ok(Some((account, widget, data))) => {
            send(core, account, Some(widget), SOURCE_TRAINED, data).await;
        }
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, "could not report a finished training run"),
    }
}

/// Sends `usage.threshold` for a notice just claimed for the cycle (so
/// once per cycle and threshold): 90 or 100 percent of `limit` used. An
/// account-wide event: every endpoint subscribed to it gets it, whatever
/// widget it is limited to.
pub async fn usage_threshold(
    core: &Core,
    account: AccountId,
    plan: &str,
    limit: i64,
    usage: Usage,
    notice: Notice,
) {
    let percent = match notice {
        Notice::Warning => 90,
        Notice::Exhausted => 100,
    };
    let data = json!({
        "plan": plan,
        "used": usage.used,
        "limit": limit,
        "percent": percent,
        "reset_at": usage.resets_at(),
    });
    send(core, account, None, USAGE_THRESHOLD, data).await;
}
