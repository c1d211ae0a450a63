//! The listener's limits: a client that sends its headers too slowly, or
//! leaves a keep-alive connection idle, is disconnected; one address can
//! hold only so many connections, and others are not affected.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{TestApp, spawn_app_with};
use witzo_server::app::AppOptions;

async fn app_with(timeout_secs: u64, per_ip: usize) -> TestApp {
    spawn_app_with(
        move |c| {
            c.limits.header_read_timeout_secs = timeout_secs;
            c.limits.max_connections_per_ip = per_ip;
        },
        AppOptions::default(),
    )
    .await
}

/// Reads until the server closes the connection; what it sent, or `None`
/// if it still holds the connection open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

/// A connection from `from` (an address of 127.0.0.0/8) to the app.
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

#[tokio::test]
async fn a_client_sending_its_headers_too_slowly_is_disconnected() {
    let app = app_with(1, 256).await;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let answer = closed_within(&mut slow, Duration::from_secs(10)).await;
    assert!(answer.is_some(), "still open after 10 s");
    assert!(!answer.unwrap_or_default().contains("200 OK"));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = app_with(1, 256).await;
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // The answer comes, then the connection stays idle until it is closed.
    let answer = closed_within(&mut idle, Duration::from_secs(10)).await;
    let answer = answer.expect("still open after 10 s");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}

#[tokio::test]
async fn health_checks_answer_while_fifty_slow_clients_hold_connections() {
    let app = app_with(30, 256).await;
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        slow.push(stream);
    }
    let health = app.get("/healthz").await;
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(slow.len(), 50);
}

#[tokio::test]
async fn one_address_holds_only_so_many_connections_and_others_still_get_in() {
    let app = app_with(30, 5).await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(connect_from("127.0.0.1", app.addr).await);
    }
    // Give the server time to count them before the sixth arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut sixth = connect_from("127.0.0.1", app.addr).await;
    sixth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok();
    let refused = closed_within(&mut sixth, Duration::from_secs(5)).await;
    assert_eq!(refused.as_deref(), Some(""), "closed without an answer");
    // Another address is not affected.
    let mut other = connect_from("127.0.0.2", app.addr).await;
    other
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_within(&mut other, Duration::from_secs(5)).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200 OK")),
        "{answer:?}"
    );
    // Once one closes, the address may connect again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = connect_from("127.0.0.1", app.addr).await;
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_within(&mut again, Duration::from_secs(5)).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200 OK")),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_disconnected() {
    let app = app_with(1, 256).await;
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let answer = closed_within(&mut silent, Duration::from_secs(10)).await;
    assert_eq!(answer.as_deref(), Some(""), "still open after 10 s");
}

/// The settings the server announces in its first HTTP/2 frame.
async fn http2_settings(addr: SocketAddr) -> Vec<(u16, u32)> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The client preface, then an empty SETTINGS frame.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    let mut head = [0u8; 9];
    stream.read_exact(&mut head).await.unwrap();
    assert_eq!(head[3], 0x4, "the server's first frame is SETTINGS");
    let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload).await.unwrap();
    payload
        .chunks_exact(6)
        .map(|s| {
            (
                u16::from_be_bytes([s[0], s[1]]),
                u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
            )
        })
        .collect()
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served_with_a_stream_cap() {
    let app = app_with(30, 256).await;
    let settings = http2_settings(app.addr).await;
    // SETTINGS_MAX_CONCURRENT_STREAMS (3) and SETTINGS_MAX_HEADER_LIST_SIZE (6).
    assert!(settings.contains(&(0x3, 100)), "{settings:?}");
    assert!(settings.contains(&(0x6, 64 * 1024)), "{settings:?}");
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let requests = (0..20).map(|_| client.get(app.url("/healthz")).send());
    for response in futures_util::future::join_all(requests).await {
        let response = response.unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
        assert_eq!(response.status().as_u16(), 200);
    }
    // HTTP/1.1 on the same listener is unaffected.
    let plain = app.get("/healthz").await;
    assert_eq!(plain.version(), reqwest::Version::HTTP_11);
}
