//! A widget's appearance and behaviour, validated as a whole before it is
//! stored (as JSON) and served to the widget.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use witzo_store::domain::{CleanText, InvalidValue, TextRules};

use crate::error::{AppError, AppResult, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    Left,
    #[default]
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LeadField {
    Name,
    Email,
    Phone,
    Company,
    Message,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadForm {
    pub enabled: bool,
    /// At least one when the form is on.
    pub fields: Vec<LeadField>,
    /// Show the form after this many visitor messages (1–50).
    #[schema(minimum = 1, maximum = 50)]
    pub after_messages: u32,
}

impl LeadForm {
    /// The rule across fields the document adds to the derived schema: a
    /// form that is on names at least one field.
    pub fn schema_rule() -> serde_json::Value {
        serde_json::json!({"anyOf": [
            {"properties": {"enabled": {"const": false}}},
            {"properties": {"fields": {"minItems": 1}}},
        ]})
    }
}

impl Default for LeadForm {
    fn default() -> Self {
        Self {
            enabled: false,
            fields: vec![LeadField::Name, LeadField::Email],
            after_messages: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WidgetSettings {
    /// `#rrggbb`.
    #[schema(schema_with = crate::fields::color)]
    pub primary_color: String,
    /// Up to 60 characters, not blank.
    #[schema(schema_with = crate::fields::required_text::<60>)]
    pub title: String,
    /// Up to 500 characters; shown as the first message.
    #[schema(schema_with = crate::fields::text::<500>)]
    pub welcome_message: String,
    /// Up to 80 characters.
    #[schema(schema_with = crate::fields::text::<80>)]
    pub placeholder: String,
    pub position: Position,
    /// Open the chat by itself after this many seconds (1–600), or never.
    #[schema(minimum = 1, maximum = 600)]
    pub auto_open_secs: Option<u32>,
    /// Up to 5, each up to 120 characters.
    #[schema(schema_with = crate::fields::questions)]
    pub suggested_questions: Vec<String>,
    /// BCP 47 language tag, e.g. `en` or `de-AT`.
    #[schema(schema_with = crate::fields::language)]
    pub language: String,
    /// Up to 2,000 characters of guidance for the assistant.
    #[schema(schema_with = crate::fields::text::<2000>)]
    pub instructions: String,
    pub lead_form: LeadForm,
    /// "Powered by Witzo"; only white-label plans may turn it off.
    pub show_branding: bool,
}

impl Default for WidgetSettings {
    fn default() -> Self {
        Self {
            primary_color: "#1f5fd1".to_owned(),
            title: "Chat with us".to_owned(),
            welcome_message: "Hi! Ask me anything about this website.".to_owned(),
            // Empty: the widget's own "Type your message…" in its language.
            placeholder: String::new(),
            position: Position::Right,
            auto_open_secs: None,
            suggested_questions: Vec::new(),
            language: "en".to_owned(),
            instructions: String::new(),
            lead_form: LeadForm::default(),
            show_branding: true,
        }
    }
}

fn line(max_chars: usize, required: bool) -> TextRules {
    TextRules {
        max_chars,
        multiline: false,
        required,
    }
}

fn clean(field: &str, raw: &str, rules: TextRules) -> AppResult<String> {
    CleanText::parse(raw, rules)
        .map(CleanText::into_string)
        .map_err(|e: InvalidValue| invalid(field, &e.message))
}

fn invalid(field: &str, why: &str) -> AppError {
    AppError::new(ErrorCode::ValidationFailed, format!("{field} {why}")).field(field)
}

impl WidgetSettings {
    /// Checks and normalises every field; `white_label` says whether the
    /// account's plan may hide the branding.
    pub fn validate(self, white_label: bool) -> AppResult<Self> {
        let color = self.primary_color.trim().to_ascii_lowercase();
        let is_hex = color.len() == 7
            && color.starts_with('#')
            && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
        if !is_hex {
            return Err(invalid("primary_color", "must be a colour like #1f5fd1"));
        }
        if self.auto_open_secs.is_some_and(|s| s == 0 || s > 600) {
            return Err(invalid(
                "auto_open_secs",
                "must be between 1 and 600 seconds, or empty",
            ));
        }
        if self.suggested_questions.len() > 5 {
            return Err(invalid(
                "suggested_questions",
                "may hold at most 5 questions",
            ));
        }
        let mut questions = Vec::new();
        for question in &self.suggested_questions {
            let question = clean("suggested_questions", question, line(120, false))?;
            if !question.is_empty() {
                questions.push(question);
            }
        }
        let language = self.language.trim().to_owned();
        let language_ok = !language.is_empty()
            && language.len() <= 35
            && language.split('-').all(|p| {
                !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !language_ok {
            return Err(invalid(
                "language",
                "must be a language tag such as en or de-AT",
            ));
        }
        if !(1..=50).contains(&self.lead_form.after_messages) {
            return Err(invalid(
                "lead_form.after_messages",
                "must be between 1 and 50",
            ));
        }
        let mut fields = self.lead_form.fields.clone();
        fields.dedup();
        if self.lead_form.enabled && fields.is_empty() {
            return Err(invalid(
                "lead_form.fields",
                "must name at least one field when the form is on",
            ));
        }
        if !self.show_branding && !white_label {
            return Err(AppError::new(
                ErrorCode::PlanLimitWhiteLabel,
                "Removing \"Powered by Witzo\" needs the Enterprise plan.",
            )
            .field("show_branding"));
        }
        Ok(Self {
            primary_color: color,
            title: clean("title", &self.title, line(60, true))?,
            welcome_message: clean(
                "welcome_message",
                &self.welcome_message,
                TextRules {
                    max_chars: 500,
                    multiline: true,
                    required: false,
                },
            )?,
            placeholder: clean("placeholder", &self.placeholder, line(80, false))?,
            position: self.position,
            auto_open_secs: self.auto_open_secs,
            suggested_questions: questions,
            language,
            instructions: clean(
                "instructions",
                &self.instructions,
                TextRules {
                    max_chars: 2000,
                    multiline: true,
                    required: false,
                },
            )?,
            lead_form: LeadForm {
                fields,
                ..self.lead_form
            },
            show_branding: self.show_branding,
        })
    }

    /// The stored settings; falls back to defaults if the JSON cannot be read
    /// (it is only ever written validated, so this is a safety net).
    pub fn from_stored(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_else(|err| {
            tracing::error!(%err, "stored widget settings unreadable; using defaults");
            Self::default()
        })
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let settings = WidgetSettings::default().validate(false).unwrap();
        assert_eq!(WidgetSettings::from_stored(&settings.to_stored()), settings);
    }

    #[test]
    fn each_field_is_checked() {
        let cases: Vec<(WidgetSettings, &str)> = vec![
            (
                WidgetSettings {
                    primary_color: "red".into(),
                    ..Default::default()
                },
                "primary_color",
            ),
            (
                WidgetSettings {
                    primary_color: "#12345g".into(),
                    ..Default::default()
                },
                "primary_color",
            ),
            (
                WidgetSettings {
                    title: " ".into(),
                    ..Default::default()
                },
                "title",
            ),
            (
                WidgetSettings {
                    title: "x".repeat(61),
                    ..Default::default()
                },
                "title",
            ),
            (
                WidgetSettings {
                    auto_open_secs: Some(0),
                    ..Default::default()
                },
                "auto_open_secs",
            ),
            (
                WidgetSettings {
                    suggested_questions: vec!["q".into(); 6],
                    ..Default::default()
                },
                "suggested_questions",
            ),
            (
                WidgetSettings {
                    language: "en us".into(),
                    ..Default::default()
                },
                "language",
            ),
            (
                WidgetSettings {
                    instructions: "x".repeat(2001),
                    ..Default::default()
                },
                "instructions",
            ),
            (
                WidgetSettings {
                    lead_form: LeadForm {
                        after_messages: 0,
                        ..Default::default()
                    },
                    ..Default::default()
                },
                "lead_form.after_messages",
            ),
        ];
        for (settings, field) in cases {
            let err = settings.validate(true).unwrap_err();
            assert_eq!(
                (err.code(), err.field_name()),
                (ErrorCode::ValidationFailed, Some(field))
            );
        }
    }

    #[test]
    fn only_white_label_plans_may_hide_the_branding() {
        let hidden = WidgetSettings {
            show_branding: false,
            ..Default::default()
        };
        assert_eq!(
            hidden.clone().validate(false).unwrap_err().code(),
            ErrorCode::PlanLimitWhiteLabel
        );
        assert!(!hidden.validate(true).unwrap().show_branding);
    }

    #[test]
    fn text_is_normalised_and_empty_questions_dropped() {
        let settings = WidgetSettings {
            primary_color: "#ABCDEF".into(),
            title: "  Hi\u{0}there ".into(),
            suggested_questions: vec!["  ".into(), "Opening hours?".into()],
            ..Default::default()
        }
        .validate(false)
        .unwrap();
        assert_eq!(settings.primary_color, "#abcdef");
        assert_eq!(settings.title, "Hithere");
        assert_eq!(settings.suggested_questions, ["Opening hours?"]);
    }
}
