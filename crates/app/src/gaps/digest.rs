//! The weekly content-gap digest: owners who opted in get their five
//! biggest open gaps once a week (claimed per account in one conditional
//! update, so several instances send it once).

use askama::Template;
use witzo_store::domain::EmailAddress;
use witzo_store::gaps::{Gap, GapOrder};

use crate::core::Core;
use crate::mail::MailError;
use crate::mail::messages::Email;

/// A week, in seconds.
pub const WEEK: i64 = 7 * 86_400;

/// One gap as the e-mail shows it.
pub struct DigestGap {
    pub widget: String,
    pub questions: i64,
    pub examples: Vec<String>,
}

impl From<Gap> for DigestGap {
    fn from(gap: Gap) -> Self {
        Self {
            widget: gap.widget_name,
            questions: gap.questions,
            examples: gap.examples,
        }
    }
}

#[derive(Template)]
#[template(path = "email/gaps.txt")]
pub struct GapDigest<'a> {
    pub gaps: &'a [DigestGap],
    /// The dashboard's content-gap page.
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "email/gaps.html")]
struct GapDigestHtml<'a> {
    gaps: &'a [DigestGap],
    link: &'a str,
}

impl Email for GapDigest<'_> {
    fn subject(&self) -> String {
        "Witzo: what your visitors asked this week that went unanswered".to_owned()
    }

    fn text(&self) -> Result<String, MailError> {
        self.render().map_err(|e| MailError::Build(e.to_string()))
    }

    fn html(&self) -> Result<String, MailError> {
        GapDigestHtml {
            gaps: self.gaps,
            link: self.link,
        }
        .render()
        .map_err(|e| MailError::Build(e.to_string()))
    }
}

/// Sends every digest due at `now`; returns how many went out.
pub async fn send_due(state: &Core, now: i64) -> anyhow::Result<usize> {
    let link = state.config.public_url.as_ref().map_or_else(
        || "/app/gaps".to_owned(),
        |u| format!("{}app/gaps", ensure_slash(u.as_str())),
    );
    let mut sent = 0;
    for (account, email) in state.store.claim_gap_digests(now - WEEK, now).await? {
        let gaps: Vec<DigestGap> = state
            .store
            .gaps_of(account, None, false, GapOrder::Biggest, 5)
            .await?
            .into_iter()
            .map(DigestGap::from)
            .collect();
        if gaps.is_empty() {
            continue;
        }
        let Ok(to) = EmailAddress::parse(&email) else {
            continue;
        };
        state
            .mailer
            .send(
                &to,
                &GapDigest {
                    gaps: &gaps,
                    link: &link,
                },
            )
            .await?;
        sent += 1;
    }
    Ok(sent)
}

fn ensure_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_escapes_visitor_text_in_html() {
        let gaps = vec![DigestGap {
            widget: "Shop".into(),
            questions: 4,
            examples: vec!["<b>gift cards?</b>".into()],
        }];
        let digest = GapDigest {
            gaps: &gaps,
            link: "https://w.example/app/gaps",
        };
        let text = digest.text().unwrap_or_default();
        assert!(text.contains("4 questions"), "{text}");
        let html = digest.html().unwrap_or_default();
        assert!(
            html.contains("gift cards?") && !html.contains("<b>"),
            "{html}"
        );
    }
}
