//! Every e-mail Witzo sends, each a pair of templates (plain text and HTML,
//! under `templates/email/`) and a subject. Values are escaped in the HTML
//! part; subjects never carry visitor input.

use askama::Template;

use super::MailError;

/// One e-mail's content, ready to address.
pub trait Email {
    fn subject(&self) -> String;
    fn text(&self) -> Result<String, MailError>;
    fn html(&self) -> Result<String, MailError>;
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
}
