//! TLS in the binary (`tls.cert`, `tls.key`): the certificate chain and
//! key from PEM files, read again when they change, so a renewed
//! certificate is served from the next handshake on without a restart
//! (connections already open keep theirs). TLS 1.3 and 1.2 only, with
//! rustls's suites (forward-secret AEAD only; no RC4, CBC, SHA-1 or RSA key
//! exchange); ALPN offers `h2` and `http/1.1`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;

/// The certificate in use, and the files it came from.
pub struct Certificates {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    /// The files' bytes last loaded, to notice a change.
    loaded: Mutex<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for Certificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificates")
            .field("cert", &self.cert)
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

impl Certificates {
    /// Loads the chain and key; an unreadable or mismatched pair is an error.
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<Self>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (cert_pem, key_pem) = (read(cert)?, read(key)?);
        let certified = certified(&provider, &cert_pem, &key_pem)?;
        Ok(Arc::new(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            provider,
            current: RwLock::new(certified),
            loaded: Mutex::new((cert_pem, key_pem)),
        }))
    }

    /// Reads the files again and switches to them when they changed and
    /// form a valid pair; a half-written or broken pair is logged and the
    /// current certificate kept. Returns whether it switched.
    pub fn reload_if_changed(&self) -> bool {
        let (Ok(cert_pem), Ok(key_pem)) = (read(&self.cert), read(&self.key)) else {
            return false;
        };
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if loaded.0 == cert_pem && loaded.1 == key_pem {
            return false;
        }
        match certified(&self.provider, &cert_pem, &key_pem) {
            Ok(certified) => {
                *self
                    .current
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = certified;
                *loaded = (cert_pem, key_pem);
                tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded");
                true
            }
            Err(err) => {
                tracing::warn!(error = %err, "TLS files changed but do not form a valid pair; keeping the current certificate");
                false
            }
        }
    }

    /// Checks the files every `every` for as long as the process runs.
    pub fn watch(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                this.reload_if_changed();
            }
        })
    }

    /// The acceptor handshakes use (always the current certificate).
    pub fn acceptor(self: &Arc<Self>) -> anyhow::Result<TlsAcceptor> {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .context("TLS versions")?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        )
    }
}

/// A chain and its key as rustls serves them, checked to belong together.
fn certified(
    provider: &CryptoProvider,
    cert_pem: &[u8],
    key_pem: &[u8],
) -> anyhow::Result<Arc<CertifiedKey>> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .context("tls.cert: not PEM certificates")?;
    anyhow::ensure!(!chain.is_empty(), "tls.cert holds no certificate");
    let key = PrivateKeyDer::from_pem_slice(key_pem).context("tls.key: not a PEM private key")?;
    let certified = CertifiedKey::from_der(chain, key, provider)
        .context("tls.cert and tls.key do not belong together")?;
    Ok(Arc::new(certified))
}
