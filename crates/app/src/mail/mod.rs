//! Outgoing e-mail: SMTP through `lettre` when `smtp.url` is configured; in
//! development without SMTP, messages are printed to the log with a banner
//! (production refuses to start without SMTP, see `config.rs`). What each
//! e-mail says lives in [`messages`].

pub mod messages;

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use witzo_store::domain::EmailAddress;

use self::messages::Email;
use crate::config::SmtpConfig;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid smtp configuration: {0}")]
    Config(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("smtp delivery failed: {0}")]
    Delivery(String),
}

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    /// Development only: the message goes to the log.
    Log,
}

impl Mailer {
    pub fn from_config(config: &SmtpConfig) -> Result<Self, MailError> {
        let Some(url) = &config.url else {
            return Ok(Self::Log);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| MailError::Config(e.to_string()))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| MailError::Config(format!("smtp.from: {e}")))?;
        Ok(Self::Smtp { transport, from })
    }

    /// Sends `email` to `to`, as plain text and HTML.
    pub async fn send(&self, to: &EmailAddress, email: &impl Email) -> Result<(), MailError> {
        let subject = email.subject();
        let text = email.text()?;
        match self {
            Self::Log => {
                log_message(to, &subject, &text);
                Ok(())
            }
            Self::Smtp { transport, from } => {
                let mut builder = Message::builder().from(from.clone()).to(mailbox(to)?);
                if let Some(reply_to) = email.reply_to() {
                    builder = builder.reply_to(mailbox(reply_to)?);
                }
                let message = builder
                    .subject(one_line(&subject))
                    .multipart(MultiPart::alternative_plain_html(text, email.html()?))
                    .map_err(|e| MailError::Build(e.to_string()))?;
                deliver(transport, message).await
            }
        }
    }
}

/// A header value on one line: control characters (CR, LF…) become
/// spaces, so no value can start a header of its own.
fn one_line(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn log_message(to: &EmailAddress, subject: &str, text: &str) {
    tracing::warn!(
        "\n========== DEVELOPMENT E-MAIL (no smtp.url configured) ==========\n\
         To: {to}\nSubject: {subject}\n\n{text}\n\
         =================================================================="
    );
}

fn mailbox(to: &EmailAddress) -> Result<Mailbox, MailError> {
    to.as_str()
        .parse::<Mailbox>()
        .map_err(|e| MailError::Build(e.to_string()))
}

async fn deliver(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    message: Message,
) -> Result<(), MailError> {
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| MailError::Delivery(e.to_string()))
}
