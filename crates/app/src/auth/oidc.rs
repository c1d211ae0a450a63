//! OpenID Connect sign-in (Google by default, any compliant provider by
//! config): discovery, the authorization code flow with PKCE (S256), `state`
//! bound to the browser, `nonce`, and full ID-token validation — signature
//! from the provider's JWKS, `iss`, `aud` (and `azp`), `exp`, `iat`, `nonce`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;
use url::Url;

use crate::config::OidcConfig;
use crate::keys::constant_time_eq;

/// Why an OpenID sign-in failed. Details are for the log only.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    #[error("invalid token: {0}")]
    TokenInvalid(String),
}

/// Accepted ID-token signature algorithms: asymmetric only (never `none`
/// or HMAC, which would let a client secret forge tokens).
const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY_SECS: i64 = 60;
/// An ID token issued longer ago than this is refused, however long it lives.
const MAX_AGE_SECS: i64 = 600;
/// How long discovery and keys are reused before being fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: Url,
    token_endpoint: Url,
    jwks_uri: Url,
}

struct Provider {
    metadata: Metadata,
    jwks: JwkSet,
    fetched: Instant,
}

/// What a successful sign-in proves about the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
}

/// A sign-in begun: where to send the browser, and what to remember.
pub struct Authorization {
    pub url: Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<Flag>,
    #[serde(default)]
    nonce: Option<String>,
    iat: i64,
    #[serde(default)]
    azp: Option<String>,
    /// A string or an array; `jsonwebtoken` has checked it names this client.
    aud: serde_json::Value,
}

/// `email_verified` is a boolean, but some providers send `"true"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Text(String),
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: String,
}

pub struct OidcClient {
    issuer: String,
    client_id: String,
    client_secret: SecretString,
    redirect_uri: Url,
    http: reqwest::Client,
    provider: RwLock<Option<Arc<Provider>>>,
}

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

impl OidcClient {
    /// The client for `config`, or `None` when OpenID sign-in is off.
    pub fn from_config(config: &OidcConfig, public_url: &Url) -> Option<Self> {
        let (client_id, client_secret) = (config.client_id.clone()?, config.client_secret.clone()?);
        let redirect_uri = public_url.join("/auth/oidc/callback").ok()?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .ok()?;
        Some(Self {
            issuer: config.issuer.as_str().trim_end_matches('/').to_owned(),
            client_id,
            client_secret,
            redirect_uri,
            http,
            provider: RwLock::new(None),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: Url) -> Result<T, OidcError> {
        let response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| OidcError::Unavailable(format!("{url}: {e}")))?;
        if !response.status().is_success() {
            return Err(OidcError::Unavailable(format!(
                "{url}: HTTP {}",
                response.status()
            )));
        }
        response
            .json()
            .await
            .map_err(|e| OidcError::Unavailable(format!("{url}: {e}")))
    }

    /// Discovery and keys, cached; `refresh` fetches them again (a key
    /// rotation shows up as an unknown `kid`).
    async fn provider(&self, refresh: bool) -> Result<Arc<Provider>, OidcError> {
        if !refresh
            && let Some(provider) = self.provider.read().await.as_ref()
            && provider.fetched.elapsed() < METADATA_TTL
        {
            return Ok(provider.clone());
        }
        let discovery = Url::parse(&format!("{}/.well-known/openid-configuration", self.issuer))
            .map_err(|e| OidcError::Unavailable(e.to_string()))?;
        let metadata: Metadata = self.get_json(discovery).await?;
        if metadata.issuer.trim_end_matches('/') != self.issuer {
            return Err(OidcError::Unavailable(format!(
                "discovery names issuer {} instead of {}",
                metadata.issuer, self.issuer
            )));
        }
        let jwks: JwkSet = self.get_json(metadata.jwks_uri.clone()).await?;
        let provider = Arc::new(Provider {
            metadata,
            jwks,
            fetched: Instant::now(),
        });
        *self.provider.write().await = Some(provider.clone());
        Ok(provider)
    }

    /// Begins a sign-in: fresh `state`, `nonce` and PKCE verifier, and the
    /// provider URL to send the browser to.
    pub async fn begin(&self, login_hint: Option<&str>) -> Result<Authorization, OidcError> {
        let provider = self.provider(false).await?;
        let (state, nonce, pkce_verifier) = (random_token(), random_token(), random_token());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pkce_verifier.as_bytes()));
        let mut url = provider.metadata.authorization_endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", self.redirect_uri.as_str())
                .append_pair("scope", "openid email profile")
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(hint) = login_hint {
                query.append_pair("login_hint", hint);
            }
        }
        Ok(Authorization {
            url,
            state,
            nonce,
            pkce_verifier,
        })
    }

    /// Exchanges an authorization code for the raw ID token.
    pub async fn exchange(&self, code: &str, pkce_verifier: &str) -> Result<String, OidcError> {
        let provider = self.provider(false).await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_verifier", pkce_verifier),
        ];
        let response = self
            .http
            .post(provider.metadata.token_endpoint.clone())
            .basic_auth(&self.client_id, Some(self.client_secret.expose_secret()))
            .form(&form)
            .send()
            .await
            .map_err(|e| OidcError::Unavailable(format!("token endpoint: {e}")))?;
        let status = response.status();
        if status.is_client_error() {
            let body = response.text().await.unwrap_or_default();
            return Err(OidcError::TokenInvalid(format!(
                "token endpoint refused the code: {status} {body}"
            )));
        }
        if !status.is_success() {
            return Err(OidcError::Unavailable(format!(
                "token endpoint: HTTP {status}"
            )));
        }
        let tokens: TokenResponse = response
            .json()
            .await
            .map_err(|e| OidcError::TokenInvalid(format!("token response: {e}")))?;
        Ok(tokens.id_token)
    }

    /// Validates a raw ID token for this client and `expected_nonce`.
    pub async fn validate(
        &self,
        id_token: &str,
        expected_nonce: &str,
        now: i64,
    ) -> Result<VerifiedIdentity, OidcError> {
        let invalid = |what: String| OidcError::TokenInvalid(what);
        let header =
            jsonwebtoken::decode_header(id_token).map_err(|e| invalid(format!("header: {e}")))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let mut provider = self.provider(false).await?;
        let find = |jwks: &JwkSet| match &header.kid {
            Some(kid) => jwks.find(kid).cloned(),
            None if jwks.keys.len() == 1 => jwks.keys.first().cloned(),
            None => None,
        };
        let jwk = match find(&provider.jwks) {
            Some(jwk) => jwk,
            None => {
                provider = self.provider(true).await?;
                find(&provider.jwks)
                    .ok_or_else(|| invalid("signed with an unknown key".to_owned()))?
            }
        };
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| invalid(format!("key: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[&self.client_id]);
        validation.set_issuer(&[&self.issuer, &provider.metadata.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS.unsigned_abs();
        let claims = jsonwebtoken::decode::<Claims>(id_token, &key, &validation)
            .map_err(|e| invalid(format!("{e}")))?
            .claims;
        if claims.iat > now + LEEWAY_SECS || claims.iat < now - MAX_AGE_SECS {
            return Err(invalid(format!("iat {} is out of range", claims.iat)));
        }
        if !claims
            .nonce
            .as_deref()
            .is_some_and(|nonce| constant_time_eq(expected_nonce, nonce))
        {
            return Err(invalid("nonce does not match".to_owned()));
        }
        let audiences = claims.aud.as_array().map_or(1, Vec::len);
        if audiences > 1 && claims.azp.as_deref() != Some(self.client_id.as_str()) {
            return Err(invalid("azp does not name this client".to_owned()));
        }
        let email_verified = match claims.email_verified {
            Some(Flag::Bool(verified)) => verified,
            Some(Flag::Text(text)) => text == "true",
            None => false,
        };
        Ok(VerifiedIdentity {
            issuer: self.issuer.clone(),
            subject: claims.sub,
            email: claims.email,
            email_verified,
        })
    }
}
