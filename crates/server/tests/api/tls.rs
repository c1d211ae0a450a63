//! HTTPS served by the binary's listener: a test certificate (made with
//! the openssl command line), HSTS over HTTPS only, the plain-HTTP
//! listener that only redirects, TLS 1.2+ only, and a replaced certificate
//! served from the next handshake without dropping open connections.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use witzo_app::config::Config;
use witzo_server::app::{AppOptions, Application};

fn openssl(args: &[&str], dir: &Path) {
    let made = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
}

/// A test certificate authority in `dir` (`ca.crt`, `ca.key`): its PEM.
fn authority(dir: &Path) -> Vec<u8> {
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Witzo test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
        dir,
    );
    std::fs::read(dir.join("ca.crt")).unwrap()
}

/// A server certificate for 127.0.0.1 named `name`, signed by the test
/// authority: (cert PEM, key PEM).
fn certificate(dir: &Path, name: &str) -> (Vec<u8>, Vec<u8>) {
    let (csr, cert, key) = (
        format!("{name}.csr"),
        format!("{name}.crt"),
        format!("{name}.key"),
    );
    openssl(
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &key,
            "-out",
            &csr,
        ],
        dir,
    );
    std::fs::write(
        dir.join(format!("{name}.ext")),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &cert,
        ],
        dir,
    );
    (
        std::fs::read(dir.join(cert)).unwrap(),
        std::fs::read(dir.join(key)).unwrap(),
    )
}

/// Writes a file whole (write, then rename), as certificate tools do.
fn replace(path: &Path, bytes: &[u8]) {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes).unwrap();
    std::fs::rename(partial, path).unwrap();
}

struct Served {
    https: SocketAddr,
    http: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve(dir: &Path) -> Served {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        secret_key: Some(
            "test-secret-key-of-at-least-32-characters"
                .to_owned()
                .into(),
        ),
        log_level: "warn".to_owned(),
        ..Config::default()
    };
    config.tls.cert = Some(dir.join("live.crt"));
    config.tls.key = Some(dir.join("live.key"));
    config.tls.reload_secs = 1;
    config.tls.redirect_listen = Some("127.0.0.1:0".parse().unwrap());
    config.check().unwrap();
    let app = Application::build(config, AppOptions::default())
        .await
        .unwrap();
    let https = app.local_addr().unwrap();
    let http = app.redirect_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(app.run_until(async move {
        rx.await.ok();
    }));
    Served {
        https,
        http,
        _stop: tx,
    }
}

fn client(roots: &[&[u8]]) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_info(true)
        .redirect(reqwest::redirect::Policy::none());
    for root in roots {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(root).unwrap());
    }
    builder.build().unwrap()
}

/// The DER of the certificate the server presented on `response`'s connection.
fn presented(response: &reqwest::Response) -> Vec<u8> {
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

/// A PEM certificate as DER, converted by openssl.
fn der(pem: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(["x509", "-outform", "DER"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(pem).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    output.stdout
}

#[tokio::test]
async fn https_is_served_with_hsts_http_only_redirects_and_a_new_certificate_loads_live() {
    let dir = tempfile::tempdir().unwrap();
    let ca = authority(dir.path());
    let (first_cert, first_key) = certificate(dir.path(), "first");
    let (second_cert, second_key) = certificate(dir.path(), "second");
    replace(&dir.path().join("live.crt"), &first_cert);
    replace(&dir.path().join("live.key"), &first_key);
    let served = serve(dir.path()).await;
    let https = |path: &str| format!("https://{}{path}", served.https);

    // Served over TLS with the configured certificate, HSTS included.
    let kept = client(&[&ca]);
    let response = kept.get(https("/healthz")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(presented(&response), der(&first_cert));
    assert_eq!(
        response
            .headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=63072000; includeSubDomains")
    );
    assert_eq!(
        response.version(),
        reqwest::Version::HTTP_2,
        "ALPN picks h2"
    );

    // Plain HTTP only redirects, keeping path and query, without HSTS.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirected = plain
        .get(format!("http://{}/app/leads?status=new", served.http))
        .send()
        .await
        .unwrap();
    assert_eq!(redirected.status().as_u16(), 308);
    assert_eq!(
        redirected
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(https("/app/leads?status=new").as_str())
    );
    assert!(
        redirected
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    // The TLS port does not answer plain HTTP.
    assert!(
        plain
            .get(format!("http://{}/healthz", served.https))
            .send()
            .await
            .is_err()
    );

    // Old protocol versions are refused; TLS 1.2 and 1.3 are served.
    // s_client blocks: it runs off the runtime that serves the handshake.
    let handshake = |version: &'static str, extra: &'static [&'static str]| {
        let addr = served.https.to_string();
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut child = Command::new("openssl")
                .args(["s_client", "-connect", &addr, version])
                .args(extra)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            // "Q" at the start of a line ends s_client once connected.
            child.stdin.take().unwrap().write_all(b"Q\n").ok();
            child.wait().unwrap().success()
        })
    };
    assert!(handshake("-tls1_2", &[]).await.unwrap());
    assert!(handshake("-tls1_3", &[]).await.unwrap());
    assert!(
        !handshake("-tls1_1", &["-cipher", "DEFAULT@SECLEVEL=0"])
            .await
            .unwrap()
    );

    // A renewed certificate: new handshakes get it within the reload
    // interval; the open connection keeps working.
    replace(&dir.path().join("live.key"), &second_key);
    replace(&dir.path().join("live.crt"), &second_cert);
    let mut renewed = false;
    for _ in 0..50 {
        let fresh = client(&[&ca]);
        if let Ok(response) = fresh.get(https("/healthz")).send().await
            && presented(&response) == der(&second_cert)
        {
            renewed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(renewed, "the new certificate was never served");
    let again = kept.get(https("/healthz")).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(
        presented(&again),
        der(&first_cert),
        "same connection, same certificate"
    );

    // A broken pair is not loaded: the current certificate stays.
    replace(&dir.path().join("live.crt"), b"not a certificate");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let still = client(&[&ca]).get(https("/healthz")).send().await.unwrap();
    assert_eq!(presented(&still), der(&second_cert));
}

#[test]
fn tls_settings_are_checked() {
    let mut config = Config::default();
    config.tls.cert = Some("/x.crt".into());
    let problems = format!("{:?}", config.check().err());
    assert!(
        problems.contains("tls.cert and tls.key must be set together"),
        "{problems}"
    );
    config.tls.key = Some("/x.key".into());
    config.public_url = Some("http://chat.example.com".parse().unwrap());
    let problems = format!("{:?}", config.check().err());
    assert!(
        problems.contains("with tls.cert, public_url must be https://"),
        "{problems}"
    );
}
