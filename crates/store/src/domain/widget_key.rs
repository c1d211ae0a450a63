use std::fmt;

use rand::RngCore;

use super::InvalidValue;

/// A widget's public key: `wk_` and 128 random bits as 32 lower-case hex
/// digits. It identifies a widget in the embed snippet; it is not a secret,
/// which is why every use is also checked against the widget's domains.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WidgetKey(String);

impl WidgetKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("wk_{}", hex::encode(bytes)))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let hex = raw.strip_prefix("wk_").filter(|h| {
            h.len() == 32
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        match hex {
            Some(_) => Ok(Self(raw.to_owned())),
            None => Err(InvalidValue::new("is not a widget key")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WidgetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A conversation's public id, `c_` and 32 lower-case hex digits, checked
/// where it enters (a path or a request field), so what is passed on is
/// always well formed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct ConversationId(String);

impl ConversationId {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if is_public_id(raw, "c_") {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidValue::new(
                "The conversation id must be c_ and 32 hex digits.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ConversationId {
    type Error = InvalidValue;

    fn try_from(raw: String) -> Result<Self, InvalidValue> {
        Self::parse(&raw)
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A random public id with a prefix (`v_`, `c_`, `m_`): 128 bits, hex.
pub fn random_public_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Whether `raw` is a well-formed public id with `prefix`.
pub fn is_public_id(raw: &str, prefix: &str) -> bool {
    raw.strip_prefix(prefix).is_some_and(|h| {
        h.len() == 32
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_differ() {
        let (a, b) = (WidgetKey::generate(), WidgetKey::generate());
        assert_ne!(a, b);
        assert_eq!(WidgetKey::parse(a.as_str()).unwrap(), a);
        assert_eq!(a.as_str().len(), 35);
    }

    #[test]
    fn malformed_keys_are_refused() {
        for raw in [
            "",
            "wk_",
            "wk_XYZ",
            "wk_0123456789abcdef0123456789ABCDEF",
            "xk_0123456789abcdef0123456789abcdef",
            "wk_0123456789abcdef0123456789abcdef0",
        ] {
            assert!(WidgetKey::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn conversation_ids_are_read_only_when_well_formed() {
        let id = random_public_id("c_");
        let parsed: ConversationId = serde_json::from_value(serde_json::json!(id)).unwrap();
        assert_eq!(parsed.as_str(), id);
        for raw in [
            "",
            "c_123",
            &id.to_uppercase(),
            &id.replacen("c_", "m_", 1),
            &format!("{id}0"),
        ] {
            assert_eq!(
                ConversationId::parse(raw).map_err(|e| e.message),
                Err("The conversation id must be c_ and 32 hex digits.".to_owned()),
                "{raw}"
            );
            assert!(serde_json::from_value::<ConversationId>(serde_json::json!(raw)).is_err());
        }
    }

    #[test]
    fn public_ids_have_their_prefix_and_128_bits() {
        let id = random_public_id("c_");
        assert!(is_public_id(&id, "c_"));
        assert!(!is_public_id(&id, "v_"));
        assert!(!is_public_id("c_123", "c_"));
    }
}
