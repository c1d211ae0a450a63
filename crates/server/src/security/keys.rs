//! Keys derived from the one configured secret, each for one purpose, so a
//! token made for one use can never be replayed as another.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

pub struct Keys {
    csrf: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

fn mac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl Keys {
    pub fn derive(secret: &SecretString) -> Self {
        Self {
            csrf: mac(secret.expose_secret().as_bytes(), b"witzo/csrf/v1"),
        }
    }

    /// The synchronizer token of the session whose stored hash is
    /// `session_hash`: bound to that session, unguessable without the key.
    pub fn csrf_token(&self, session_hash: &str) -> String {
        hex::encode(mac(&self.csrf, session_hash.as_bytes()))
    }

    /// Compares a presented token with the session's in constant time.
    pub fn csrf_token_matches(&self, session_hash: &str, presented: &str) -> bool {
        let expected = self.csrf_token(session_hash);
        expected.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_bound_to_the_session_and_the_key() {
        let keys = Keys::derive(&SecretString::from("k".repeat(32)));
        let other = Keys::derive(&SecretString::from("j".repeat(32)));
        let token = keys.csrf_token("session-a");
        assert!(keys.csrf_token_matches("session-a", &token));
        assert!(!keys.csrf_token_matches("session-b", &token));
        assert!(!other.csrf_token_matches("session-a", &token));
        assert!(!keys.csrf_token_matches("session-a", ""));
    }
}
