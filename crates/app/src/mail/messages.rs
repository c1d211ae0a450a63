//! Every e-mail Witzo sends, each a pair of templates (plain text and HTML,
//! under `templates/email/`) and a subject. Values are escaped in the HTML
//! part; subjects never carry visitor input.

use askama::Template;

use witzo_store::domain::EmailAddress;

use super::MailError;

/// One e-mail's content, ready to address.
pub trait Email {
    fn subject(&self) -> String;
    fn text(&self) -> Result<String, MailError>;
    fn html(&self) -> Result<String, MailError>;

    /// Where replies go, when not to Witzo's sender.
    fn reply_to(&self) -> Option<&EmailAddress> {
        None
    }
}

fn rendered(template: &impl Template) -> Result<String, MailError> {
    template
        .render()
        .map_err(|e| MailError::Build(e.to_string()))
}

/// A one-time sign-in or confirmation code: the code and its validity,
/// nothing else.
#[derive(Template)]
#[template(path = "email/code.txt")]
pub struct Code<'a> {
    pub code: &'a str,
    pub minutes: u64,
}

#[derive(Template)]
#[template(path = "email/code.html")]
struct CodeHtml<'a> {
    code: &'a str,
    minutes: u64,
}

impl Email for Code<'_> {
    fn subject(&self) -> String {
        "Your Witzo code".to_owned()
    }

    fn text(&self) -> Result<String, MailError> {
        rendered(self)
    }

    fn html(&self) -> Result<String, MailError> {
        rendered(&CodeHtml {
            code: self.code,
            minutes: self.minutes,
        })
    }
}

/// Tells an owner that 90 % (or all) of this month's conversations are used.
#[derive(Template)]
#[template(path = "email/usage.txt")]
pub struct UsageNotice<'a> {
    pub used: i64,
    pub limit: i64,
    pub plan: &'a str,
    /// When the allowance renews, UTC to the minute (`… UTC`).
    pub renews: &'a str,
    pub exhausted: bool,
}

#[derive(Template)]
#[template(path = "email/usage.html")]
struct UsageNoticeHtml<'a> {
    used: i64,
    limit: i64,
    plan: &'a str,
    renews: &'a str,
    exhausted: bool,
}

impl Email for UsageNotice<'_> {
    fn subject(&self) -> String {
        if self.exhausted {
            "Witzo: this month's conversations are used up".to_owned()
        } else {
            "Witzo: 90 % of this month's conversations used".to_owned()
        }
    }

    fn text(&self) -> Result<String, MailError> {
        rendered(self)
    }

    fn html(&self) -> Result<String, MailError> {
        rendered(&UsageNoticeHtml {
            used: self.used,
            limit: self.limit,
            plan: self.plan,
            renews: self.renews,
            exhausted: self.exhausted,
        })
    }
}

/// One lead as the owner's e-mails show it.
pub struct LeadLine {
    pub widget: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub message: String,
    pub summary: String,
    /// `form` or `chat`.
    pub source: &'static str,
    /// Where the owner opens it in the dashboard.
    pub link: String,
    /// Locked past the plan's leads: details left out.
    pub locked: bool,
}

/// Tells an owner of one new lead.
#[derive(Template)]
#[template(path = "email/lead.txt")]
pub struct LeadAlert<'a> {
    pub lead: &'a LeadLine,
}

#[derive(Template)]
#[template(path = "email/lead.html")]
struct LeadAlertHtml<'a> {
    lead: &'a LeadLine,
}

impl Email for LeadAlert<'_> {
    fn subject(&self) -> String {
        format!("Witzo: a new lead on {}", self.lead.widget)
    }

    fn text(&self) -> Result<String, MailError> {
        rendered(self)
    }

    fn html(&self) -> Result<String, MailError> {
        rendered(&LeadAlertHtml { lead: self.lead })
    }
}

/// The day's new leads, for owners who chose one e-mail a day.
#[derive(Template)]
#[template(path = "email/digest.txt")]
pub struct LeadDigest<'a> {
    pub leads: &'a [LeadLine],
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "email/digest.html")]
struct LeadDigestHtml<'a> {
    leads: &'a [LeadLine],
    link: &'a str,
}

impl Email for LeadDigest<'_> {
    fn subject(&self) -> String {
        match self.leads.len() {
            1 => "Witzo: 1 new lead".to_owned(),
            n => format!("Witzo: {n} new leads"),
        }
    }

    fn text(&self) -> Result<String, MailError> {
        rendered(self)
    }

    fn html(&self) -> Result<String, MailError> {
        rendered(&LeadDigestHtml {
            leads: self.leads,
            link: self.link,
        })
    }
}

/// The owner's follow-up to a lead: their subject and text with the
/// placeholders filled as plain text, replies going to the owner.
#[derive(Template)]
#[template(path = "email/follow_up.txt")]
pub struct FollowUp<'a> {
    pub subject: &'a str,
    pub body: &'a str,
    pub reply_to: &'a EmailAddress,
}

#[derive(Template)]
#[template(path = "email/follow_up.html")]
struct FollowUpHtml<'a> {
    paragraphs: Vec<&'a str>,
}

impl Email for FollowUp<'_> {
    fn subject(&self) -> String {
        self.subject.to_owned()
    }

    fn text(&self) -> Result<String, MailError> {
        rendered(self)
    }

    fn html(&self) -> Result<String, MailError> {
        rendered(&FollowUpHtml {
            paragraphs: self.body.split("\n\n").collect(),
        })
    }

    fn reply_to(&self) -> Option<&EmailAddress> {
        Some(self.reply_to)
    }
}

/// One content gap as the weekly digest shows it.
pub struct DigestGap {
    pub widget: String,
    pub questions: i64,
    pub examples: Vec<String>,
}

impl From<witzo_store::gaps::Gap> for DigestGap {
    fn from(gap: witzo_store::gaps::Gap) -> Self {
        Self {
            widget: gap.widget_name,
            questions: gap.questions,
            examples: gap.examples,
        }
    }
}

/// The week's biggest open content gaps, for owners who opted in.
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
        rendered(self)
    }

    fn html(&self) -> Result<String, MailError> {
        rendered(&GapDigestHtml {
            gaps: self.gaps,
            link: self.link,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_email_renders_its_text_and_html() {
        let code = Code {
            code: "123456",
            minutes: 15,
        };
        assert_eq!(
            code.text().unwrap(),
            "Your Witzo code is 123456\n\nIt is valid for 15 minutes."
        );
        assert!(code.html().unwrap().contains("<strong>123456</strong>"));
        let notice = |exhausted| UsageNotice {
            used: 90,
            limit: 100,
            plan: "Basic <b>",
            renews: "2026-12-01 00:00 UTC",
            exhausted,
        };
        assert_eq!(
            notice(false).text().unwrap(),
            "Your assistants have answered 90 of the 100 conversations your Basic <b> plan includes this month.\n\
             At 100 they stop answering until 2026-12-01 00:00 UTC. Upgrade in the dashboard to keep them answering."
        );
        assert!(
            notice(true)
                .text()
                .unwrap()
                .starts_with("Your assistants have answered all 100")
        );
        assert!(
            notice(true).html().unwrap().contains("Basic &#60;b&#62;"),
            "escaped in HTML"
        );
        assert_eq!(
            notice(true).subject(),
            "Witzo: this month's conversations are used up"
        );
    }

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
