//! OpenID Connect sign-in against a real provider: `oidc-provider` (npm) run
//! by `tests/oidc/provider.mjs` on loopback, its interaction completed from
//! the `login_hint` (`<sub>:<email>:<verified>`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Client;
use serde_json::{Value, json};
use witzo_app::auth::oidc::{OidcClient, OidcError};
use witzo_app::config::OidcConfig;
use witzo_server::app::AppOptions;

use crate::helpers::{TestApp, browser, header, spawn_app_with};

pub struct Provider {
    child: Child,
    pub issuer: String,
}

impl Provider {
    /// Starts the provider on `port` with `clients` (`[id, secret, redirect_uri]`).
    pub fn start(port: u16, clients: &[[&str; 3]]) -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        if !dir.join("node_modules/oidc-provider").exists() {
            let status = Command::new("npm")
                .args(["ci", "--silent"])
                .current_dir(&dir)
                .status()
                .expect("npm");
            assert!(status.success(), "npm ci in tests/oidc failed");
        }
        let clients: Vec<Value> = clients
            .iter()
            .map(|[id, secret, redirect]| json!({"client_id": id, "client_secret": secret, "redirect_uris": [redirect]}))
            .collect();
        // A provider that never says it is ready (seen once on a loaded
        // machine: node alive, not listening) is killed and started again.
        for _ in 0..3 {
            let mut child = Command::new("node")
                .arg(dir.join("provider.mjs"))
                .env("OIDC_PORT", port.to_string())
                .env("OIDC_CLIENTS", serde_json::to_string(&clients).unwrap())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("node (Node.js 20+) runs tests/oidc/provider.mjs");
            let stdout = child.stdout.take().unwrap();
            let (said, line) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                BufReader::new(stdout).read_line(&mut line).ok();
                said.send(line).ok();
            });
            match line.recv_timeout(std::time::Duration::from_secs(30)) {
                Ok(line) => {
                    let issuer = line
                        .trim()
                        .strip_prefix("ready ")
                        .unwrap_or_else(|| panic!("provider said {line:?}"))
                        .to_owned();
                    return Self { child, issuer };
                }
                Err(_) => {
                    child.kill().ok();
                    child.wait().ok();
                }
            }
        }
        panic!("the OpenID provider did not start in three tries");
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The query parameter `key` of `url`.
fn param(url: &str, key: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == key)
        .unwrap()
        .1
        .into_owned()
}

/// `url` with its query parameter `key` set to `value`.
fn with_param(url: &str, key: &str, value: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == key {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const CLIENT_ID: &str = "witzo";
const SECRET: &str = "witzo-secret-0123456789";

/// The app with OpenID sign-in configured against a fresh provider.
async fn app_with_provider() -> (TestApp, Provider) {
    let provider_port = free_port();
    let issuer = format!("http://127.0.0.1:{provider_port}");
    let app = spawn_app_with(
        |c| {
            c.oidc.issuer = issuer.parse().unwrap();
            c.oidc.client_id = Some(CLIENT_ID.to_owned());
            c.oidc.client_secret = Some(SECRET.to_owned().into());
            c.oidc.display_name = "Test Provider".to_owned();
        },
        AppOptions::default(),
    )
    .await;
    let callback = app.url("/auth/oidc/callback");
    let provider = Provider::start(provider_port, &[[CLIENT_ID, SECRET, &callback]]);
    assert_eq!(provider.issuer, app.state.oidc.as_ref().unwrap().issuer());
    (app, provider)
}

/// Follows the provider's redirects from `location` until one points at
/// `until` (the client's redirect URI); returns that URL.
async fn follow_provider(client: &Client, mut location: String, until: &str) -> String {
    for _ in 0..10 {
        if location.starts_with(until) {
            return location;
        }
        let response = client.get(&location).send().await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            303,
            "{location}: {:?}",
            response.text().await
        );
        location = header(&response, "location").unwrap().to_owned();
    }
    panic!("too many redirects");
}

/// Starts a sign-in in `client` for `hint` and walks the provider; returns
/// the callback URL the provider sent the browser back to.
async fn to_callback(app: &TestApp, client: &Client, hint: &str) -> String {
    let start = client
        .get(app.url(&format!("/auth/oidc/start?login_hint={hint}")))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status().as_u16(), 303);
    assert!(
        header(&start, "set-cookie")
            .unwrap()
            .starts_with("witzo_oidc=")
    );
    let location = header(&start, "location").unwrap().to_owned();
    assert!(
        location.contains("code_challenge_method=S256"),
        "{location}"
    );
    assert!(location.contains("nonce="), "{location}");
    follow_provider(client, location, &app.url("/auth/oidc/callback")).await
}

async fn callback(client: &Client, url: &str) -> String {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    header(&response, "location").unwrap().to_owned()
}

#[tokio::test]
async fn a_verified_identity_signs_in_and_creates_the_account() {
    let (app, _provider) = app_with_provider().await;
    let client = browser();
    let back = to_callback(&app, &client, "u1:ada@example.com:true").await;
    assert_eq!(callback(&client, &back).await, "/app");
    let me: Value = client
        .get(app.url("/api/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["account"]["email"], "ada@example.com");
    let account = app.state.store.list_accounts().await.unwrap()[0].id;
    let identities = app.state.store.identities_of(account).await.unwrap();
    assert_eq!(
        identities,
        [(
            app.state.oidc.as_ref().unwrap().issuer().to_owned(),
            "u1".to_owned()
        )]
    );
    let page = browser()
        .get(app.url("/app/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Continue with Test Provider"), "{page}");
}

#[tokio::test]
async fn an_existing_account_with_the_same_verified_email_is_linked_not_duplicated() {
    let (app, _provider) = app_with_provider().await;
    let existing = app.sign_in("ada@example.com").await;
    let client = browser();
    let back = to_callback(&app, &client, "u2:ada@example.com:true").await;
    assert_eq!(callback(&client, &back).await, "/app");
    let accounts = app.state.store.list_accounts().await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].id, existing.account);
    assert_eq!(
        app.state
            .store
            .identities_of(existing.account)
            .await
            .unwrap()
            .len(),
        1
    );
    // Signing in again finds the account through the link.
    let again = browser();
    let back = to_callback(&app, &again, "u2:ada@example.com:true").await;
    assert_eq!(callback(&again, &back).await, "/app");
    assert_eq!(app.state.store.list_accounts().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_unverified_email_is_refused_with_a_clear_message() {
    let (app, _provider) = app_with_provider().await;
    let client = browser();
    let back = to_callback(&app, &client, "u3:eve@example.com:false").await;
    let location = callback(&client, &back).await;
    assert_eq!(location, "/app/sign-in?error=email_not_verified");
    assert_eq!(app.state.store.list_accounts().await.unwrap().len(), 0);
    let page = client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"data-code="email_not_verified""#), "{page}");
    assert!(page.contains("not verified at the provider"), "{page}");
}

#[tokio::test]
async fn a_wrong_state_is_refused() {
    let (app, _provider) = app_with_provider().await;
    let client = browser();
    let back = to_callback(&app, &client, "u1:ada@example.com:true").await;
    let forged = with_param(&back, "state", "forged-state");
    assert_eq!(
        callback(&client, &forged).await,
        "/app/sign-in?error=oidc_state_invalid"
    );
    assert_eq!(app.state.store.list_accounts().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_callback_in_another_browser_is_refused() {
    let (app, _provider) = app_with_provider().await;
    let back = to_callback(&app, &browser(), "u1:ada@example.com:true").await;
    assert_eq!(
        callback(&browser(), &back).await,
        "/app/sign-in?error=oidc_state_invalid"
    );
    assert_eq!(app.state.store.list_accounts().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let (app, _provider) = app_with_provider().await;
    let client = browser();
    let back = to_callback(&app, &client, "u1:ada@example.com:true").await;
    assert_eq!(callback(&client, &back).await, "/app");
    // The same callback again: its state is spent.
    let attacker = browser();
    assert_eq!(
        callback(&client, &back).await,
        "/app/sign-in?error=oidc_state_invalid"
    );
    // The old code with a fresh, valid state: the provider refuses the code.
    let fresh = to_callback(&app, &attacker, "u9:mallory@example.com:true").await;
    let replay = with_param(&fresh, "code", &param(&back, "code"));
    assert_eq!(
        callback(&attacker, &replay).await,
        "/app/sign-in?error=oidc_token_invalid"
    );
    assert_eq!(
        app.state.store.list_accounts().await.unwrap().len(),
        1,
        "only ada"
    );
}

/// An `OidcClient` as the app builds it, for validating tokens directly.
fn client_for(issuer: &str, id: &str, secret: &str) -> OidcClient {
    let config = OidcConfig {
        issuer: issuer.to_owned(),
        client_id: Some(id.to_owned()),
        client_secret: Some(secret.to_owned().into()),
        display_name: "Test".to_owned(),
    };
    OidcClient::from_config(&config, &"http://127.0.0.1:9/".parse().unwrap()).unwrap()
}

/// Runs the code flow for `client` and returns a real ID token and its nonce.
async fn real_id_token(client: &OidcClient, hint: &str) -> (String, String) {
    let authorization = client.begin(Some(hint)).await.unwrap();
    let back = follow_provider(
        &browser(),
        authorization.url.to_string(),
        "http://127.0.0.1:9/",
    )
    .await;
    let code = param(&back, "code");
    let token = client
        .exchange(&code, &authorization.pkce_verifier)
        .await
        .unwrap();
    (token, authorization.nonce)
}

fn redirect() -> &'static str {
    "http://127.0.0.1:9/auth/oidc/callback"
}

#[tokio::test]
async fn tampered_tokens_wrong_audiences_and_unsigned_tokens_are_refused() {
    let port = free_port();
    let provider = Provider::start(
        port,
        &[
            ["client-a", "secret-a-0123456789", redirect()],
            ["client-b", "secret-b-0123456789", redirect()],
        ],
    );
    let issuer = provider.issuer.clone();
    let a = client_for(&issuer, "client-a", "secret-a-0123456789");
    let b = client_for(&issuer, "client-b", "secret-b-0123456789");
    let now = witzo_store::now();

    let (token, nonce) = real_id_token(&a, "u1:ada@example.com:true").await;
    let identity = a.validate(&token, &nonce, now).await.unwrap();
    assert_eq!(
        (
            identity.subject.as_str(),
            identity.email.as_deref(),
            identity.email_verified
        ),
        ("u1", Some("ada@example.com"), true)
    );

    // Tampered payload: the signature no longer matches.
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["email"] = json!("mallory@example.com");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert!(matches!(
        a.validate(&tampered, &nonce, now).await,
        Err(OidcError::TokenInvalid(_))
    ));

    // Another nonce: replay of a token from another sign-in.
    assert!(matches!(
        a.validate(&token, "other-nonce", now).await,
        Err(OidcError::TokenInvalid(_))
    ));

    // A token issued to client B is not for client A.
    let (for_b, nonce_b) = real_id_token(&b, "u1:ada@example.com:true").await;
    assert!(b.validate(&for_b, &nonce_b, now).await.is_ok());
    let wrong_audience = a.validate(&for_b, &nonce_b, now).await;
    assert!(
        matches!(&wrong_audience, Err(OidcError::TokenInvalid(why)) if why.contains("Aud") || why.contains("aud")),
        "{wrong_audience:?}"
    );

    // Unsigned (`alg: none`) and HMAC-signed forgeries.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    assert!(matches!(
        a.validate(&unsigned, &nonce, now).await,
        Err(OidcError::TokenInvalid(_))
    ));
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"secret-a-0123456789"),
    )
    .unwrap();
    assert!(matches!(
        a.validate(&forged, &nonce, now).await,
        Err(OidcError::TokenInvalid(_))
    ));

    // Too old: issued more than ten minutes before "now".
    assert!(matches!(
        a.validate(&token, &nonce, now + 3600).await,
        Err(OidcError::TokenInvalid(_))
    ));
}
