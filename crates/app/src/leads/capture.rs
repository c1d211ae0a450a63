//! Where leads come from: the widget's lead form, and an e-mail address or
//! phone number a visitor types into the chat (one chat lead per visitor
//! and widget, updated with new details).

use witzo_store::domain::{AccountId, CountryCode, EmailAddress, first_contacts};
use witzo_store::leads::{NewLead, Stored};

use super::notify;
use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::input;
use crate::widgets::cache::PublicWidget;

/// Questions of the conversation kept as the lead's summary.
const SUMMARY_QUESTIONS: i64 = 3;
/// Characters of each question in the summary.
const SUMMARY_CHARS: usize = 200;

/// The lead form as the widget sends it (every field optional; an e-mail
/// address or a phone number is required).
#[derive(Debug, Default)]
pub struct ContactForm<'a> {
    pub conversation_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub company: Option<&'a str>,
    pub message: Option<&'a str>,
}

/// A phone number as the lead form takes it: digits, spaces and `+ - ( ) .`,
/// at most 40 characters.
fn phone(raw: &str) -> AppResult<String> {
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    let valid =
        raw.chars().count() <= 40 && raw.chars().all(allowed) && raw.chars().any(|c| c != ' ');
    if !valid {
        return Err(AppError::new(
            ErrorCode::ValidationFailed,
            "phone may hold digits, spaces and + - ( ) . only, at most 40 characters",
        )
        .field("phone"));
    }
    Ok(raw.trim().to_owned())
}

/// The country of a browser's first language with a region
/// (`Accept-Language: de-CH,de;q=0.9` → `CH`), or empty. A hint for the
/// owner, not a location: no address is looked up.
pub fn country_from_languages(accept_language: Option<&str>) -> String {
    accept_language
        .unwrap_or_default()
        .split(',')
        .filter_map(|tag| tag.split(';').next())
        .filter_map(|tag| tag.trim().split(['-', '_']).nth(1))
        .find(|region| region.len() == 2)
        .and_then(|region| CountryCode::parse(region).ok())
        .map(|code| code.as_str().to_owned())
        .unwrap_or_default()
}

/// The first questions of the visitor's conversation, one per line.
async fn summary(
    core: &Core,
    widget: &PublicWidget,
    visitor: &str,
    conversation: Option<&str>,
) -> AppResult<String> {
    let Some(conversation) = conversation else {
        return Ok(String::new());
    };
    let questions = core
        .store
        .first_questions(
            widget.live.widget.id,
            visitor,
            conversation,
            SUMMARY_QUESTIONS,
        )
        .await?;
    Ok(questions
        .iter()
        .map(|q| q.chars().take(SUMMARY_CHARS).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Stores the lead form's details (locked past the plan's leads) and sets
/// off what follows a new lead.
pub async fn leave_contact(
    core: &Core,
    widget: &PublicWidget,
    visitor: &str,
    form: &ContactForm<'_>,
    country: &str,
) -> AppResult<()> {
    let name = input::text("name", form.name, input::line(100))?;
    let company = input::text("company", form.company, input::line(100))?;
    let message = input::text("message", form.message, input::paragraphs(2000))?;
    let email = match form.email {
        Some(raw) => EmailAddress::parse(raw)
            .map_err(|e| {
                AppError::new(ErrorCode::ValidationFailed, format!("email {e}")).field("email")
            })?
            .to_string(),
        None => String::new(),
    };
    let phone = form.phone.map(phone).transpose()?.unwrap_or_default();
    if email.is_empty() && phone.is_empty() {
        return Err(AppError::new(
            ErrorCode::ValidationFailed,
            "Leave an e-mail address or a phone number.",
        )
        .field("email"));
    }
    let conversation = form
        .conversation_id
        .map(|c| input::public_id("conversation_id", c, "c_"))
        .transpose()?;
    let summary = summary(core, widget, visitor, conversation).await?;
    let lead = NewLead {
        visitor_id: visitor,
        conversation,
        name: &name,
        email: &email,
        phone: &phone,
        company: &company,
        message: &message,
        summary: &summary,
        country,
    };
    store_lead(core, widget, &lead, false).await
}

/// Captures the contact details in a visitor's chat message, if it holds
/// any: their chat lead is created or gets the new details.
pub async fn from_chat(
    core: &Core,
    widget: &PublicWidget,
    visitor: &str,
    conversation: &str,
    message: &str,
    country: &str,
) -> AppResult<()> {
    let (email, phone) = first_contacts(message);
    if email.is_none() && phone.is_none() {
        return Ok(());
    }
    let email = email.map(|e| e.to_string()).unwrap_or_default();
    let phone = phone.unwrap_or_default();
    let summary = summary(core, widget, visitor, Some(conversation)).await?;
    let lead = NewLead {
        visitor_id: visitor,
        conversation: Some(conversation),
        email: &email,
        phone: &phone,
        summary: &summary,
        country,
        ..NewLead::default()
    };
    store_lead(core, widget, &lead, true).await
}

async fn store_lead(
    core: &Core,
    widget: &PublicWidget,
    lead: &NewLead<'_>,
    chat: bool,
) -> AppResult<()> {
    let account: AccountId = widget.live.widget.account_id;
    // Past the plan's leads the lead is still kept, locked until an upgrade.
    let limit = core.store.account_plan(account).await?.leads;
    let widget_id = widget.live.widget.id;
    let now = witzo_store::now();
    let stored = if chat {
        core.store
            .capture_chat_lead(widget_id, lead, limit, now)
            .await?
    } else {
        core.store.add_lead(widget_id, lead, limit, now).await?
    };
    match stored {
        Stored::Created { id, locked } => {
            tracing::info!(lead = %id, locked, chat, "lead received");
            notify::new_lead(core, account, id, locked).await
        }
        Stored::Updated { id } => {
            tracing::info!(lead = %id, "chat lead updated");
            notify::announce(core, account, id, "lead.updated").await;
            Ok(())
        }
        Stored::Unchanged { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::country_from_languages;

    #[test]
    fn the_first_region_of_the_browser_languages_is_the_country() {
        assert_eq!(
            country_from_languages(Some("de-CH,de;q=0.9,en;q=0.8")),
            "CH"
        );
        assert_eq!(country_from_languages(Some("en, fr-ca;q=0.5")), "CA");
        assert_eq!(country_from_languages(Some("zh-Hant-TW")), "");
        assert_eq!(country_from_languages(Some("en-XX")), "");
        assert_eq!(country_from_languages(None), "");
    }
}
