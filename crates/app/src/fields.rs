//! Schemas of request fields whose rules a derived schema cannot state,
//! written as JSON Schema from the parsers that enforce them (`CleanText`,
//! `EmailAddress`, `WebUrl`, `CountryCode`, `AllowedDomain` and the
//! crawler's checks). Fields use them with `#[schema(schema_with = …)]`.
//!
//! Patterns stay within what ECMA-262, Python and Rust regexes read alike:
//! character classes with explicit ranges, no `\s`, `\d` or lookaround.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};

use witzo_store::domain::CountryCode;

/// One character that is neither whitespace nor a control character: what
/// a required text must hold, as `CleanText` removes controls and trims
/// whitespace (Unicode `White_Space`) before checking it is not empty.
pub const NON_BLANK: &str =
    "[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

/// Whitespace as `str::trim` removes it (Unicode `White_Space`).
const WHITESPACE: &str =
    "\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// Whitespace within a line (all of it but the newline).
const INLINE_SPACE: &str =
    "\\t\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// A DNS label (letters, digits, inner hyphens, at most 63).
const LABEL: &str = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
/// The last label of a host name: starting with a letter, so that no URL
/// parser reads the host as an IPv4 address (`10.0.0.1`, `0x7f.1`).
const TOP_LABEL: &str = "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn nullable_string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

/// Free text of at most `MAX` characters as sent (may be empty).
pub fn text<const MAX: usize>() -> ObjectBuilder {
    string().max_length(Some(MAX))
}

/// Optional free text (`null` or absent: none).
pub fn nullable_text<const MAX: usize>() -> ObjectBuilder {
    nullable_string().max_length(Some(MAX))
}

/// Text that must not be blank once cleaned, at most `MAX` characters.
pub fn required_text<const MAX: usize>() -> ObjectBuilder {
    string()
        .min_length(Some(1))
        .max_length(Some(MAX))
        .pattern(Some(NON_BLANK))
}

/// An e-mailed 6-digit code (spaces anywhere are ignored).
pub fn code() -> ObjectBuilder {
    string().pattern(Some(format!(
        "^[{WHITESPACE}]*(?:[0-9][{WHITESPACE}]*){{6}}$"
    )))
}

/// An e-mail address (`EmailAddress`: a dot-atom local part and a domain
/// with a dot, at most 254 characters).
pub fn email() -> ObjectBuilder {
    string()
        .format(Some(utoipa::openapi::SchemaFormat::Custom("email".into())))
        .max_length(Some(254))
}

/// An e-mail address, or `null` / absent for none.
pub fn nullable_email() -> ObjectBuilder {
    nullable_string()
        .format(Some(utoipa::openapi::SchemaFormat::Custom("email".into())))
        .max_length(Some(254))
}

/// An `http`/`https` URL as owners type it: a host name (not an IP
/// address), an optional port, then path, query and fragment without
/// spaces or control characters. Not anchored.
fn web_url(port: &str) -> String {
    format!("[Hh][Tt][Tt][Pp][Ss]?://(?:{LABEL}\\.)*{TOP_LABEL}{port}(?:[/?#]{NON_BLANK}*)?")
}

/// A website (`WebUrl`, after trimming), or blank for none.
pub fn web_url_or_empty() -> ObjectBuilder {
    let url = web_url("(?::[1-9][0-9]{0,3})?");
    string()
        .max_length(Some(2048))
        .pattern(Some(format!("^[{WHITESPACE}]*(?:{url})?[{WHITESPACE}]*$")))
}

/// Where a crawl starts (`WebUrl`, after trimming): a website on port 80
/// or 443 (others are refused with `url_not_allowed`, as are IP addresses
/// that are not public).
pub fn crawl_url() -> ObjectBuilder {
    let url = web_url("(?::80|:443)?");
    string()
        .max_length(Some(2048))
        .pattern(Some(format!("^[{WHITESPACE}]*{url}[{WHITESPACE}]*$")))
}

/// Where setup starts the crawl (as [`crawl_url`]), or blank for none.
pub fn crawl_url_or_blank() -> ObjectBuilder {
    let url = web_url("(?::80|:443)?");
    string()
        .max_length(Some(2048))
        .pattern(Some(format!("^[{WHITESPACE}]*(?:{url})?[{WHITESPACE}]*$")))
}

/// Days between automatic re-scrapes: 7, 15 or 30 (plans that allow it),
/// or `null` for never.
pub fn rescrape_days() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .enum_values(Some([
            serde_json::json!(7),
            serde_json::json!(15),
            serde_json::json!(30),
            serde_json::Value::Null,
        ]))
}

/// An ISO 3166-1 alpha-2 country code in any case (`CountryCode`, which
/// trims and upper-cases it), or empty for none.
pub fn country_or_empty() -> ObjectBuilder {
    let either_case = |code: &str| {
        code.chars()
            .map(|c| format!("[{c}{}]", c.to_ascii_lowercase()))
            .collect::<String>()
    };
    let codes: Vec<String> = CountryCode::all().map(either_case).collect();
    string().pattern(Some(format!(
        "^[{WHITESPACE}]*(?:{})?[{WHITESPACE}]*$",
        codes.join("|")
    )))
}

/// A billing interval: `month` or `year`, or `null` for a month.
pub fn interval() -> ObjectBuilder {
    nullable_string().enum_values(Some([
        serde_json::json!("month"),
        serde_json::json!("year"),
        serde_json::Value::Null,
    ]))
}

/// An account's time zone: an IANA name the bundled database knows, or
/// empty for UTC (`null`/absent: unchanged).
pub fn time_zone() -> ObjectBuilder {
    let mut names = vec![serde_json::json!(""), serde_json::Value::Null];
    names.extend(
        jiff::tz::db()
            .available()
            .map(|name| serde_json::json!(name.as_str())),
    );
    nullable_string().enum_values(Some(names))
}

/// Conversations kept 30, 90 or 365 days, or `null` (forever).
pub fn retention_days() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .enum_values(Some([
            serde_json::json!(30),
            serde_json::json!(90),
            serde_json::json!(365),
            serde_json::Value::Null,
        ]))
}

/// A colour as `#rrggbb` (trimmed, any case).
pub fn color() -> ObjectBuilder {
    string().pattern(Some(format!(
        "^[{WHITESPACE}]*#[0-9A-Fa-f]{{6}}[{WHITESPACE}]*$"
    )))
}

/// A BCP 47-shaped language tag such as `en` or `de-AT`.
pub fn language() -> ObjectBuilder {
    string()
        .max_length(Some(35))
        .pattern(Some("^[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8})*$"))
}

/// Suggested questions: at most 5 of at most 120 characters (blank ones
/// are dropped).
pub fn questions() -> ArrayBuilder {
    ArrayBuilder::new().max_items(Some(5)).items(text::<120>())
}

/// A phone number: digits, spaces and `+ - ( ) .`, at least one that is
/// not a space, at most 40 characters; `null` or absent for none.
pub fn nullable_phone() -> ObjectBuilder {
    nullable_string()
        .max_length(Some(40))
        .pattern(Some("^[0-9 +().-]*[0-9+().-][0-9 +().-]*$"))
}

/// A rule across fields: at least one of `names` is a string (present and
/// not `null`).
pub fn any_string(names: &[&str]) -> serde_json::Value {
    let branches: Vec<serde_json::Value> = names
        .iter()
        .map(|name| {
            serde_json::json!({"required": [name], "properties": {*name: {"type": "string"}}})
        })
        .collect();
    serde_json::json!({ "anyOf": branches })
}

/// An uploaded file (a multipart part).
pub fn file() -> ObjectBuilder {
    string().format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
        utoipa::openapi::KnownFormat::Binary,
    )))
}

/// Uploaded documents: 1 to 10 files.
pub fn files() -> ArrayBuilder {
    ArrayBuilder::new()
        .min_items(Some(1))
        .max_items(Some(10))
        .items(file())
}

/// A host a widget may answer on (`AllowedDomain`): `shop.example.com`,
/// `*.example.com` (a wildcard needs two labels), optionally after
/// `http://` (plain-http pages) or `https://`; at most `labels` labels
/// before the last, when given. Not anchored.
fn allowed_domain(labels: Option<usize>) -> String {
    let (any, some) = match labels {
        Some(max) => (format!("{{0,{max}}}"), format!("{{1,{max}}}")),
        None => ("*".to_owned(), "+".to_owned()),
    };
    let host = format!("(?:{LABEL}\\.){any}{TOP_LABEL}");
    let wildcard = format!("\\*\\.(?:{LABEL}\\.){some}{TOP_LABEL}");
    format!("(?:[Hh][Tt][Tt][Pp][Ss]?://)?(?:{wildcard}|{host})\\.?")
}

/// Hosts a widget may answer on: at most 50 of at most 253 characters.
pub fn allowed_domains() -> ArrayBuilder {
    ArrayBuilder::new().max_items(Some(50)).items(
        string()
            .max_length(Some(253))
            .pattern(Some(format!("^{}$", allowed_domain(None)))),
    )
}

/// A textarea (form field) of one `item` per line, at most `max` of them;
/// blank lines and whitespace around an item are ignored, as
/// `format::lines` reads it.
fn lines_of(item: &str, max: usize) -> ObjectBuilder {
    let space = format!("[{INLINE_SPACE}]*");
    string().pattern(Some(format!(
        "^(?:{space}\\n)*(?:{space}(?:{item}){space}(?:\\n|$)(?:{space}\\n)*){{0,{max}}}{space}$"
    )))
}

/// Allowed domains, one per line (at most two labels before the last,
/// so that each stays within 253 characters).
pub fn domain_lines() -> ObjectBuilder {
    lines_of(&allowed_domain(Some(2)), 50)
}

/// One allowed domain in a form field, or blank for none.
pub fn domain_or_blank() -> ObjectBuilder {
    string().max_length(Some(253)).pattern(Some(format!(
        "^[{WHITESPACE}]*(?:{})?[{WHITESPACE}]*$",
        allowed_domain(None)
    )))
}

/// Crawl path prefixes, one per line.
pub fn path_lines() -> ObjectBuilder {
    lines_of("/[^\\x00-\\x1f\\x7f-\\x9f]{0,199}", 20)
}

/// Suggested questions, one per line.
pub fn question_lines() -> ObjectBuilder {
    lines_of("[^\\n]{1,120}", 5)
}

/// A whole number in a form field as Rust parses it after trimming (`+7`,
/// `007`) that `number` matches (without leading zeros); blank allowed
/// when `optional`.
fn number_text(number: &str, optional: bool) -> ObjectBuilder {
    let value = format!("\\+?0*(?:{number})");
    let value = if optional {
        format!("(?:{value})?")
    } else {
        value
    };
    string().pattern(Some(format!("^[{WHITESPACE}]*{value}[{WHITESPACE}]*$")))
}

/// The form's auto-open delay: 1 to 600 seconds, or blank for never.
pub fn auto_open_text() -> ObjectBuilder {
    number_text("[1-9][0-9]?|[1-5][0-9]{2}|600", true)
}

/// The form's "show the lead form after" count: 1 to 50 messages.
pub fn lead_after_text() -> ObjectBuilder {
    number_text("[1-9]|[1-4][0-9]|50", false)
}

/// The form's crawl depth: 0 to 10.
pub fn max_depth_text() -> ObjectBuilder {
    number_text("[0-9]|10", false)
}

/// The form's re-scrape choice: `7`, `15`, `30`, or empty for never.
pub fn rescrape_days_text() -> ObjectBuilder {
    string().enum_values(Some(["", "7", "15", "30"]))
}

/// The form's billing interval: `month`, `year`, or empty for a month.
pub fn interval_text() -> ObjectBuilder {
    string().enum_values(Some(["", "month", "year"]))
}

/// Path prefixes of a crawl: each starts with `/`, at most 200 characters
/// without control characters; at most 20.
pub fn paths() -> ArrayBuilder {
    ArrayBuilder::new().max_items(Some(20)).items(
        string()
            .max_length(Some(200))
            .pattern(Some("^/[^\\x00-\\x1f\\x7f-\\x9f]*$")),
    )
}

#[cfg(test)]
mod tests {
    /// The ranges `NON_BLANK` (and `WHITESPACE`, within them) spell.
    #[test]
    fn the_non_blank_class_is_whitespace_and_controls_as_rust_reads_them() {
        let class = |c: char| c.is_whitespace() || c.is_control();
        let spelled: Vec<char> = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|&c| class(c))
            .collect();
        let listed = |c: char| {
            matches!(c as u32, 0x00..=0x20 | 0x7f..=0xa0 | 0x1680 | 0x2000..=0x200a
                | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000)
        };
        // Every listed character is whitespace or a control, and back.
        assert!(spelled.iter().all(|&c| listed(c)));
        let listed_all: Vec<char> = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|&c| listed(c))
            .collect();
        assert_eq!(spelled, listed_all);
    }
}
