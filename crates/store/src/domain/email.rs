use std::fmt;

use super::InvalidValue;

/// A syntactically valid e-mail address, lower-cased, with its domain in
/// ASCII (IDN labels converted to punycode). At most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        let invalid = || InvalidValue::new("is not a valid e-mail address");
        let (local, domain) = raw.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty() || local.len() > 64 || !local.chars().all(is_local_char) {
            return Err(invalid());
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(invalid());
        }
        if domain.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let domain = match url::Host::parse(domain).map_err(|_| invalid())? {
            url::Host::Domain(d) => d,
            _ => return Err(invalid()),
        };
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !domain.contains('.') || !labels_ok {
            return Err(invalid());
        }
        let address = format!("{}@{}", local.to_lowercase(), domain);
        if address.len() > 254 {
            return Err(invalid());
        }
        Ok(Self(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The dot-atom characters of RFC 5322, without quoted local parts.
fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_lowercases_ordinary_addresses() {
        let email = EmailAddress::parse("  Ada.Lovelace+w@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace+w@example.com");
    }

    #[test]
    fn converts_idn_domains_to_punycode() {
        let email = EmailAddress::parse("info@bücher.de").unwrap();
        assert_eq!(email.as_str(), "info@xn--bcher-kva.de");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for raw in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@127.0.0.1",
            "a@[::1]",
            "a b@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a@-example.com",
            "a@exa_mple.com",
            "\"quoted\"@example.com",
            "a@exam\nple.com",
            "a@exam ple.com",
            "a\n@example.com",
        ] {
            assert!(EmailAddress::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn refuses_addresses_longer_than_254_characters() {
        let long = format!(
            "{}@{}.com",
            "a".repeat(64),
            "b".repeat(63) + "." + &"c".repeat(63) + "." + &"d".repeat(63)
        );
        assert!(EmailAddress::parse(&long).is_err());
    }
}
