//! A suite's questions (`questions.jsonl`, one JSON object a line), checked
//! when read: a missing field, an unknown kind or a repeated id is an error
//! naming the line, before any site is served.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde_json::{Map, Value};

/// What a question tests, in the order the summary reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Answered on the site in its own words.
    Direct,
    /// Answered on the site, asked in a visitor's words.
    Paraphrase,
    /// On the site's topic, not answered on it.
    Unanswerable,
    /// Not about the business at all.
    Offtopic,
    /// Greetings and thanks.
    Smalltalk,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Direct,
        Kind::Paraphrase,
        Kind::Unanswerable,
        Kind::Offtopic,
        Kind::Smalltalk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Direct => "direct",
            Kind::Paraphrase => "paraphrase",
            Kind::Unanswerable => "unanswerable",
            Kind::Offtopic => "offtopic",
            Kind::Smalltalk => "smalltalk",
        }
    }

    fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Whether the site holds the answer (an `expect` phrase on a gold page).
    pub fn answerable(self) -> bool {
        matches!(self, Kind::Direct | Kind::Paraphrase)
    }
}

/// One line of `questions.jsonl`.
#[derive(Debug, Clone)]
pub struct Question {
    pub site: String,
    pub id: String,
    /// What the visitor types.
    pub text: String,
    pub kind: Kind,
    /// Phrases of which a correct answer contains one (answerable kinds).
    pub expect: Option<Vec<String>>,
    /// The page holding the answer, relative to the site (`fees.html`).
    pub page: Option<String>,
}

/// Why a suite's questions were refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SuiteError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("duplicate ids: {}", .0.join(", "))]
    Duplicates(Vec<String>),
}

/// Reads and checks `file`.
pub fn load(file: &Path) -> anyhow::Result<Vec<Question>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    parse(&text).map_err(|err| anyhow::anyhow!("{}: {err}", file.display()))
}

/// Checks every line of a `questions.jsonl`.
pub fn parse(text: &str) -> Result<Vec<Question>, SuiteError> {
    let mut questions = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let question = parse_line(line).map_err(|message| SuiteError::Line {
            line: n + 1,
            message,
        })?;
        questions.push(question);
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for q in &questions {
        *seen.entry(q.id.as_str()).or_default() += 1;
    }
    let repeated: Vec<String> = seen
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(id, _)| id.to_owned())
        .collect();
    if !repeated.is_empty() {
        return Err(SuiteError::Duplicates(repeated));
    }
    Ok(questions)
}

fn parse_line(line: &str) -> Result<Question, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(fields) = value else {
        return Err("not a JSON object".to_owned());
    };
    for field in ["site", "id", "q", "kind"] {
        if !fields.contains_key(field) {
            return Err(format!("missing {field}"));
        }
    }
    let kind = match &fields["kind"] {
        Value::String(raw) => Kind::parse(raw).ok_or_else(|| format!("unknown kind {raw}")),
        other => Err(format!("unknown kind {other}")),
    }?;
    let expect = match fields.get("expect") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
                .ok_or("expect must be a list of strings")?,
        ),
        Some(_) => return Err("expect must be a list of strings".to_owned()),
    };
    let page = optional_string(&fields, "page")?;
    if kind.answerable()
        && (expect.as_ref().is_none_or(Vec::is_empty) || page.as_ref().is_none_or(String::is_empty))
    {
        return Err(format!("{} needs expect and page", kind.as_str()));
    }
    Ok(Question {
        site: required_string(&fields, "site")?,
        id: required_string(&fields, "id")?,
        text: required_string(&fields, "q")?,
        kind,
        expect,
        page,
    })
}

fn required_string(fields: &Map<String, Value>, name: &str) -> Result<String, String> {
    optional_string(fields, name)?.ok_or_else(|| format!("{name} must be a string"))
}

fn optional_string(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

/// The suite's sites in name order, or only those named in `only` (each
/// must have questions).
pub fn sites(questions: &[Question], only: &[String]) -> anyhow::Result<Vec<String>> {
    let mut all: Vec<String> = questions.iter().map(|q| q.site.clone()).collect();
    all.sort();
    all.dedup();
    for name in only {
        anyhow::ensure!(
            all.contains(name),
            "no questions for the site {name:?} (the suite has {})",
            all.join(", ")
        );
    }
    if !only.is_empty() {
        all.retain(|site| only.contains(site));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIRECT: &str =
        r#"{"site":"s","id":"s-1","q":"Fee?","kind":"direct","expect":["$5"],"page":"fees.html"}"#;

    #[test]
    fn a_valid_suite_keeps_every_question_in_order() {
        let text = format!(
            "{DIRECT}\n\n{}\n",
            r#"{"site":"s","id":"s-2","q":"Hi","kind":"smalltalk"}"#
        );
        let questions = parse(&text).unwrap();
        assert_eq!(questions.len(), 2);
        assert_eq!(questions[0].kind, Kind::Direct);
        assert_eq!(questions[0].page.as_deref(), Some("fees.html"));
        assert_eq!(questions[1].kind, Kind::Smalltalk);
        assert_eq!(questions[1].expect, None);
    }

    #[test]
    fn a_missing_field_is_named_with_its_line() {
        let text = format!("{DIRECT}\n{}", r#"{"site":"s","id":"s-2","q":"Hi"}"#);
        assert_eq!(
            parse(&text).unwrap_err().to_string(),
            "line 2: missing kind"
        );
    }

    #[test]
    fn an_unknown_kind_is_refused() {
        let text = r#"{"site":"s","id":"s-1","q":"Hi","kind":"faq"}"#;
        assert_eq!(
            parse(text).unwrap_err().to_string(),
            "line 1: unknown kind faq"
        );
    }

    #[test]
    fn an_answerable_question_needs_expect_and_page() {
        for line in [
            r#"{"site":"s","id":"s-1","q":"Fee?","kind":"direct","page":"fees.html"}"#,
            r#"{"site":"s","id":"s-1","q":"Fee?","kind":"paraphrase","expect":[],"page":"fees.html"}"#,
            r#"{"site":"s","id":"s-1","q":"Fee?","kind":"direct","expect":["$5"],"page":""}"#,
        ] {
            let err = parse(line).unwrap_err().to_string();
            assert!(err.ends_with("needs expect and page"), "{line}: {err}");
        }
        let wrong_type =
            r#"{"site":"s","id":"s-1","q":"Fee?","kind":"direct","expect":"$5","page":"f.html"}"#;
        assert_eq!(
            parse(wrong_type).unwrap_err().to_string(),
            "line 1: expect must be a list of strings"
        );
    }

    #[test]
    fn repeated_ids_are_listed() {
        let text = format!("{DIRECT}\n{DIRECT}\n");
        assert_eq!(
            parse(&text).unwrap_err(),
            SuiteError::Duplicates(vec!["s-1".to_owned()])
        );
    }

    #[test]
    fn a_line_that_is_not_json_is_refused() {
        let not_json = parse("{site:").unwrap_err().to_string();
        assert!(not_json.starts_with("line 1: not JSON"), "{not_json}");
        assert_eq!(
            parse("[1]").unwrap_err().to_string(),
            "line 1: not a JSON object"
        );
    }

    #[test]
    fn sites_are_sorted_and_an_unknown_one_is_an_error() {
        let text = format!(
            "{DIRECT}\n{}",
            r#"{"site":"a","id":"a-1","q":"Hi","kind":"smalltalk"}"#
        );
        let questions = parse(&text).unwrap();
        assert_eq!(sites(&questions, &[]).unwrap(), ["a", "s"]);
        assert_eq!(sites(&questions, &["s".to_owned()]).unwrap(), ["s"]);
        assert!(sites(&questions, &["x".to_owned()]).is_err());
    }
}
