//! Keys derived from the one configured secret, each for one purpose, so a
//! token made for one use can never be replayed as another.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// One HMAC-SHA256 key per purpose, each ready to sign.
pub struct Keys {
    csrf: HmacSha256,
    login_code: HmacSha256,
    preview: HmacSha256,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

/// `key`'s HMAC of `message`.
fn mac(key: &HmacSha256, message: &[u8]) -> [u8; 32] {
    key.clone()
        .chain_update(message)
        .finalize()
        .into_bytes()
        .into()
}

impl Keys {
    /// Derives each purpose's key from the secret (as the HMAC of the
    /// purpose's label under it).
    pub fn derive(secret: &SecretString) -> Result<Self, hmac::digest::InvalidLength> {
        let master = HmacSha256::new_from_slice(secret.expose_secret().as_bytes())?;
        let key = |label: &[u8]| HmacSha256::new_from_slice(&mac(&master, label));
        Ok(Self {
            csrf: key(b"witzo/csrf/v1")?,
            login_code: key(b"witzo/login-code/v1")?,
            preview: key(b"witzo/widget-preview/v1")?,
        })
    }

    /// The synchronizer token for `binding` (a session's stored hash, or a
    /// signed-out browser's pre-session binding): bound to it, unguessable
    /// without the key.
    pub fn csrf_token(&self, binding: &str) -> String {
        hex::encode(mac(&self.csrf, binding.as_bytes()))
    }

    /// Compares a presented token with the binding's in constant time.
    pub fn csrf_token_matches(&self, binding: &str, presented: &str) -> bool {
        constant_time_eq(&self.csrf_token(binding), presented)
    }

    /// The stored form of an e-mailed code: keyed, and bound to its purpose
    /// and address so a code cannot be moved between them.
    pub fn login_code_hash(&self, purpose: &str, email: &str, code: &str) -> String {
        let message = format!("{purpose}\n{email}\n{code}");
        hex::encode(mac(&self.login_code, message.as_bytes()))
    }
}

impl Keys {
    /// A dashboard preview token for widget `key`, valid until `expires`
    /// (Unix seconds): `{expires}.{mac}`.
    pub fn preview_token(&self, key: &str, expires: i64) -> String {
        let mac = hex::encode(mac(&self.preview, format!("{key}\n{expires}").as_bytes()));
        format!("{expires}.{mac}")
    }

    /// Whether `token` is a live preview token for `key`.
    pub fn preview_token_valid(&self, key: &str, token: &str, now: i64) -> bool {
        let Some((expires, _)) = token.split_once('.') else {
            return false;
        };
        let Ok(expires) = expires.parse::<i64>() else {
            return false;
        };
        expires > now && constant_time_eq(&self.preview_token(key, expires), token)
    }
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(expected: &str, presented: &str) -> bool {
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

/// A fresh random value (256 bits from the OS generator, hex): cookie
/// values and one-use tokens.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Hex SHA-256, for values stored only as their hash (state, cookies).
pub fn sha256_hex(value: &str) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_bound_to_the_session_and_the_key() {
        let keys = Keys::derive(&SecretString::from("k".repeat(32))).unwrap();
        let other = Keys::derive(&SecretString::from("j".repeat(32))).unwrap();
        let token = keys.csrf_token("session-a");
        assert!(keys.csrf_token_matches("session-a", &token));
        assert!(!keys.csrf_token_matches("session-b", &token));
        assert!(!other.csrf_token_matches("session-a", &token));
        assert!(!keys.csrf_token_matches("session-a", ""));
    }

    #[test]
    fn preview_tokens_are_bound_to_the_key_and_expire() {
        let keys = Keys::derive(&SecretString::from("k".repeat(32))).unwrap();
        let token = keys.preview_token("wk_a", 100);
        assert!(keys.preview_token_valid("wk_a", &token, 99));
        assert!(!keys.preview_token_valid("wk_a", &token, 100));
        assert!(!keys.preview_token_valid("wk_b", &token, 99));
        assert!(!keys.preview_token_valid("wk_a", &token.replacen("100", "999", 1), 99));
        assert!(!keys.preview_token_valid("wk_a", "garbage", 0));
    }

    #[test]
    fn login_code_hashes_depend_on_purpose_address_and_code() {
        let keys = Keys::derive(&SecretString::from("k".repeat(32))).unwrap();
        let base = keys.login_code_hash("sign_in", "a@example.com", "123456");
        assert_eq!(
            base,
            keys.login_code_hash("sign_in", "a@example.com", "123456")
        );
        assert_ne!(
            base,
            keys.login_code_hash("delete_account", "a@example.com", "123456")
        );
        assert_ne!(
            base,
            keys.login_code_hash("sign_in", "b@example.com", "123456")
        );
        assert_ne!(
            base,
            keys.login_code_hash("sign_in", "a@example.com", "123457")
        );
    }
}
