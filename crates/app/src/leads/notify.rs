//! What follows a new lead: the owner's alert (at once, or in the daily
//! digest), the follow-up e-mail to the lead (plans with
//! `follow_up_email`), and the `lead.created` webhook. Alerts and
//! follow-ups are jobs, so they survive restarts and are retried; each is
//! claimed on the lead before its e-mail goes out, so it is sent once.

use witzo_store::domain::{AccountId, EmailAddress, LeadAlerts, LeadId, LeadSource};
use witzo_store::jobs::Task;
use witzo_store::leads::LeadRow;

use crate::core::Core;
use crate::error::AppResult;
use crate::mail::messages::{FollowUp, LeadAlert, LeadDigest, LeadLine};
use crate::training::worker::JobError;

/// Attempts of an alert or follow-up job before it is given up.
const ATTEMPTS: i64 = 5;

/// Queues what a new lead sets off, per the owner's settings and plan.
pub async fn new_lead(
    core: &Core,
    account: AccountId,
    lead: LeadId,
    locked: bool,
) -> AppResult<()> {
    let store = &core.store;
    let settings = store.lead_settings(account).await?;
    let now = witzo_store::now();
    if settings.alerts == LeadAlerts::Each {
        store
            .enqueue_job(Task::LeadAlert(lead), now, ATTEMPTS, now)
            .await?;
    }
    let plan = store.account_plan(account).await?;
    if settings.follow_up.0 && plan.features.follow_up_email.0 && !locked {
        let at = now + settings.delay_minutes.max(0) * 60;
        store
            .enqueue_job(Task::FollowUp(lead), at, ATTEMPTS, now)
            .await?;
    }
    announce(core, account, lead, "lead.created").await;
    Ok(())
}

/// Sends `event` (`lead.created`, `lead.updated`) to the account's
/// webhooks, with the lead as the owner's API shows it (a locked lead
/// without its details). Never fails what caused it (a visitor's chat, an
/// owner's edit): an error is logged.
pub async fn announce(core: &Core, account: AccountId, lead: LeadId, event: &'static str) {
    let row = match core.store.lead_of(account, lead).await {
        Ok(row) => row,
        Err(err) => {
            tracing::warn!(%err, %lead, event, "could not read a lead for its webhook event");
            return;
        }
    };
    let widget = row.widget_id;
    match serde_json::to_value(super::LeadView::from(row)) {
        Ok(data) => crate::webhooks::events::send(core, account, Some(widget), event, data).await,
        Err(err) => tracing::warn!(%err, %lead, "could not write a lead webhook event"),
    }
}

/// Runs a lead job.
pub async fn run(core: &Core, task: Task) -> Result<(), JobError> {
    match task {
        Task::LeadAlert(lead) => alert(core, lead).await,
        Task::FollowUp(lead) => follow_up(core, lead).await,
        other => Err(JobError::Invalid(format!(
            "{} is not a lead job",
            other.kind()
        ))),
    }
}

/// The lead as the owner's e-mails show it.
fn line(core: &Core, lead: LeadRow) -> LeadLine {
    let base = core.public_url.as_str().trim_end_matches('/');
    LeadLine {
        link: format!("{base}/app/leads/{}", lead.id),
        widget: lead.widget_name,
        locked: lead.locked.0,
        name: lead.name,
        email: lead.email,
        phone: lead.phone,
        company: lead.company,
        message: lead.message,
        summary: lead.summary,
        source: lead.source.as_str(),
    }
}

async fn owner_address(core: &Core, account: AccountId) -> Result<EmailAddress, JobError> {
    let owner = core.store.account_by_id(account).await?;
    EmailAddress::parse(&owner.email).map_err(|e| JobError::Invalid(format!("owner e-mail {e}")))
}

async fn alert(core: &Core, id: LeadId) -> Result<(), JobError> {
    let (account, lead) = match core.store.lead_by_id(id).await {
        Ok(found) => found,
        // Deleted before the alert went out: nothing to say.
        Err(witzo_store::StoreError::NotFound) => return Ok(()),
        Err(err) => return Err(err.into()),
    };
    if !core.store.claim_lead_alert(id, witzo_store::now()).await? {
        return Ok(());
    }
    let to = owner_address(core, account).await?;
    let line = line(core, lead);
    if let Err(err) = core.mailer.send(&to, &LeadAlert { lead: &line }).await {
        core.store.release_lead_alert(id).await?;
        return Err(JobError::Mail(err.to_string()));
    }
    Ok(())
}

/// `template` with `{name}`, `{business}` and `{question}` filled as plain
/// text, in one pass (a value that looks like a placeholder stays as it
/// is); other braces stay as written.
pub fn fill(template: &str, name: &str, business: &str, question: &str) -> String {
    let name = if name.is_empty() { "there" } else { name };
    let placeholders = [
        ("{name}", name),
        ("{business}", business),
        ("{question}", question),
    ];
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match placeholders.iter().find(|(key, _)| rest.starts_with(key)) {
            Some((key, value)) => {
                out.push_str(value);
                rest = &rest[key.len()..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

async fn follow_up(core: &Core, id: LeadId) -> Result<(), JobError> {
    let store = &core.store;
    let (account, lead) = match store.lead_by_id(id).await {
        Ok(found) => found,
        Err(witzo_store::StoreError::NotFound) => return Ok(()),
        Err(err) => return Err(err.into()),
    };
    let settings = store.lead_settings(account).await?;
    let plan = store.account_plan(account).await?;
    // Turned off (by the owner or the plan) since the lead came: not sent.
    let unwritten = settings.subject.is_empty() || settings.body.is_empty();
    if !settings.follow_up.0 || !plan.features.follow_up_email.0 || lead.locked.0 || unwritten {
        tracing::info!(lead = %id, "follow-up not sent: turned off, unwritten, or lead locked");
        return Ok(());
    }
    let Ok(to) = EmailAddress::parse(&lead.email) else {
        tracing::info!(lead = %id, "follow-up not sent: the lead left no valid e-mail address");
        return Ok(());
    };
    if !store.claim_follow_up(id, witzo_store::now()).await? {
        return Ok(());
    }
    let owner = store.account_by_id(account).await?;
    let reply_to = EmailAddress::parse(&owner.email)
        .map_err(|e| JobError::Invalid(format!("owner e-mail {e}")))?;
    let business = if owner.company.is_empty() {
        lead.widget_name.as_str()
    } else {
        owner.company.as_str()
    };
    let question = match lead.source {
        LeadSource::Chat => lead.summary.lines().next().unwrap_or_default(),
        LeadSource::Form if !lead.message.is_empty() => lead.message.as_str(),
        LeadSource::Form => lead.summary.lines().next().unwrap_or_default(),
    };
    let subject = fill(&settings.subject, &lead.name, business, question);
    let body = fill(&settings.body, &lead.name, business, question);
    let email = FollowUp {
        subject: &subject,
        body: &body,
        reply_to: &reply_to,
    };
    if let Err(err) = core.mailer.send(&to, &email).await {
        store.release_follow_up(id).await?;
        return Err(JobError::Mail(err.to_string()));
    }
    tracing::info!(lead = %id, "follow-up sent");
    Ok(())
}

/// Sends the daily digests that are due (owners who chose one e-mail a
/// day, with leads they were not told of). Each account's digest is
/// claimed for the day first, so it goes out once whatever the number of
/// instances; one that fails after the claim is logged, not retried.
pub async fn send_digests(core: &Core) {
    let now = witzo_store::now();
    let day = now.div_euclid(86_400);
    let due = match core.store.digests_due(day).await {
        Ok(due) => due,
        Err(err) => {
            tracing::warn!(%err, "could not read the due lead digests");
            return;
        }
    };
    for account in due {
        if let Err(err) = send_digest(core, account, day, now).await {
            tracing::warn!(%err, %account, "lead digest not sent");
        }
    }
}

async fn send_digest(core: &Core, account: AccountId, day: i64, now: i64) -> Result<(), JobError> {
    let leads = core.store.claim_digest(account, day, now).await?;
    if leads.is_empty() {
        return Ok(());
    }
    let to = owner_address(core, account).await?;
    let lines: Vec<LeadLine> = leads.into_iter().map(|l| line(core, l)).collect();
    let link = format!(
        "{}/app/leads",
        core.public_url.as_str().trim_end_matches('/')
    );
    core.mailer
        .send(
            &to,
            &LeadDigest {
                leads: &lines,
                link: &link,
            },
        )
        .await
        .map_err(|e| JobError::Mail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn placeholders_are_filled_as_plain_text() {
        assert_eq!(
            fill(
                "Hi {name}, thanks for asking {business} about {question}. {other}",
                "Ada",
                "Bean There",
                "opening hours"
            ),
            "Hi Ada, thanks for asking Bean There about opening hours. {other}"
        );
        assert_eq!(fill("Hi {name}", "", "", ""), "Hi there");
        assert_eq!(fill("{name}", "{business}", "B", ""), "{business}");
    }
}
