//! Accepting HTTP connections with limits `axum::serve` does not set: a
//! deadline for a request's headers (which also closes a keep-alive
//! connection left idle), and caps on open connections per process and
//! per client IP, so slow or idle clients cannot hold the server's file
//! descriptors. Connections still open at shutdown get to finish.
//!
//! HTTP/1.1 is served, and HTTP/2 to clients that open with its preface
//! (prior knowledge, as a proxy speaking h2c does) or that choose it by
//! ALPN over TLS, with a cap on concurrent streams and keep-alive pings
//! that drop dead peers.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tower::Service;

/// How connections are limited (`limits.*` in the configuration).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A request's headers must arrive within this; an idle keep-alive
    /// connection is closed after it too.
    pub header_read_timeout: Duration,
    /// Open connections in this process, at most.
    pub max_connections: usize,
    /// Open connections from one IP address, at most.
    pub max_per_ip: usize,
}

/// Open connections per client IP.
#[derive(Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

/// One open connection, counted until dropped.
struct Counted {
    per_ip: Arc<PerIp>,
    ip: IpAddr,
    _total: tokio::sync::OwnedSemaphorePermit,
}

impl PerIp {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.per_ip.lock();
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Streams one HTTP/2 connection may run at once.
const H2_MAX_STREAMS: u32 = 100;
/// The most header bytes one HTTP/2 request may carry.
const H2_MAX_HEADER_BYTES: u32 = 64 * 1024;
/// How an HTTP/2 connection opens; no HTTP/1 request line starts like it.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0";

/// Whether the client opened with HTTP/2's preface, read without consuming
/// it; waits for enough bytes to tell (the caller bounds the wait).
async fn speaks_http2(stream: &TcpStream) -> std::io::Result<bool> {
    let mut first = [0u8; H2_PREFACE.len()];
    loop {
        let seen = stream.peek(&mut first).await?;
        if seen == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if seen == first.len() || first[..seen] != H2_PREFACE[..seen] {
            return Ok(first == H2_PREFACE);
        }
        // A prefix of the preface so far: wait for the rest.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Serves one connection's requests, as HTTP/2 or HTTP/1.1, until it ends
/// or shutdown asks it to finish.
async fn serve_io<I, S>(
    io: I,
    http2: bool,
    h1: &http1::Builder,
    h2: &http2::Builder<TokioExecutor>,
    service: S,
    watcher: hyper_util::server::graceful::Watcher,
) -> Result<(), hyper::Error>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::ResBody: Send + 'static,
    <S::ResBody as hyper::body::Body>::Data: Send,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if http2 {
        watcher
            .watch(h2.serve_connection(TokioIo::new(io), service))
            .await
    } else {
        watcher
            .watch(h1.serve_connection(TokioIo::new(io), service))
            .await
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then waits for
/// the open connections to finish (the caller bounds that wait).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut make = app.into_make_service_with_connect_info::<SocketAddr>();
    let total = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let per_ip = Arc::new(PerIp::default());
    let graceful = GracefulShutdown::new();
    let mut h1 = http1::Builder::new();
    h1.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut h2 = http2::Builder::new(TokioExecutor::new());
    h2.timer(TokioTimer::new())
        .max_concurrent_streams(H2_MAX_STREAMS)
        .max_header_list_size(H2_MAX_HEADER_BYTES)
        .keep_alive_interval(Some(limits.header_read_timeout))
        .keep_alive_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!(%err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = total.clone().try_acquire_owned() else {
            tracing::warn!(
                limit = limits.max_connections,
                "connection refused: too many open connections"
            );
            continue; // dropping the stream closes it
        };
        let ip = peer.ip();
        {
            let mut open = per_ip.lock();
            let count = open.entry(ip).or_default();
            if *count >= limits.max_per_ip {
                tracing::warn!(
                    limit = limits.max_per_ip,
                    "connection refused: too many from one address"
                );
                continue;
            }
            *count += 1;
        }
        let counted = Counted {
            per_ip: per_ip.clone(),
            ip,
            _total: permit,
        };
        let Ok(service) = make.call(peer).await.map_err(|never: Infallible| never);
        let service = TowerToHyperService::new(service);
        let (h1, h2, watcher) = (h1.clone(), h2.clone(), graceful.watcher());
        let deadline = limits.header_read_timeout;
        let tls = tls.clone();
        tokio::spawn(async move {
            let ended = match tls {
                // ALPN decides the protocol; the handshake has the header deadline.
                Some(acceptor) => match tokio::time::timeout(deadline, acceptor.accept(stream))
                    .await
                {
                    Ok(Ok(stream)) => {
                        let http2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
                        serve_io(stream, http2, &h1, &h2, service, watcher).await
                    }
                    Ok(Err(err)) => {
                        tracing::debug!(%err, "TLS handshake failed");
                        Ok(())
                    }
                    Err(_) => Ok(()),
                },
                None => match tokio::time::timeout(deadline, speaks_http2(&stream)).await {
                    Ok(Ok(http2)) => serve_io(stream, http2, &h1, &h2, service, watcher).await,
                    // Nothing sent within the header deadline, or a dead socket.
                    Ok(Err(_)) | Err(_) => Ok(()),
                },
            };
            if let Err(err) = ended {
                tracing::debug!(%err, "connection ended with an error");
            }
            drop(counted);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
