//! The SSRF address classifier, range by range.

// Panics are how these tests fail.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use witzo_ingest::{AddressClass, classify};

fn class(ip: &str) -> AddressClass {
    classify(ip.parse::<IpAddr>().unwrap())
}

#[test]
fn ipv4_ranges() {
    let table = [
        ("0.0.0.0", "this-network"),
        ("0.255.255.255", "this-network"),
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("100.64.0.0", "cgnat"),
        ("100.127.255.255", "cgnat"),
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("169.254.0.1", "link-local"),
        ("169.254.169.254", "link-local"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.0.0.8", "reserved"),
        ("192.0.2.1", "documentation"),
        ("192.88.99.1", "reserved"),
        ("192.168.1.1", "private"),
        ("198.18.0.1", "benchmarking"),
        ("198.19.255.255", "benchmarking"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.9", "documentation"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.255", "multicast"),
        ("240.0.0.1", "reserved"),
        ("254.1.2.3", "reserved"),
        ("255.255.255.255", "broadcast"),
    ];
    for (ip, reason) in table {
        assert_eq!(class(ip), AddressClass::NotPublic(reason), "{ip}");
    }
    for ip in [
        "1.1.1.1",
        "8.8.8.8",
        "93.184.216.34",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "169.253.255.255",
        "192.0.1.1",
        "192.88.98.1",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
        "11.0.0.0",
        "126.255.255.255",
        "128.0.0.0",
    ] {
        assert_eq!(class(ip), AddressClass::Public, "{ip}");
    }
}

#[test]
fn ipv6_ranges() {
    let table = [
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("fc00::1", "ula"),
        ("fdff:ffff::1", "ula"),
        ("fe80::1", "link-local"),
        ("febf::1", "link-local"),
        ("fec0::1", "site-local"),
        ("feff::1", "site-local"),
        ("ff02::1", "multicast"),
        ("ff0e::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("2001:db8:ffff::1", "documentation"),
        ("100::1", "discard"),
        ("100::ffff:ffff:ffff:ffff", "discard"),
        ("2001:2::1", "benchmarking"),
        ("3fff::1", "documentation"),
        ("4000::1", "reserved"),
        ("1234::1", "reserved"),
    ];
    for (ip, reason) in table {
        assert_eq!(class(ip), AddressClass::NotPublic(reason), "{ip}");
    }
    for ip in [
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "2001:4860:4860::8888",
    ] {
        assert_eq!(class(ip), AddressClass::Public, "{ip}");
    }
}

#[test]
fn ipv6_forms_embedding_ipv4() {
    let table = [
        // IPv4-mapped.
        ("::ffff:127.0.0.1", "ipv4-mapped private"),
        ("::ffff:10.1.2.3", "ipv4-mapped private"),
        ("::ffff:169.254.169.254", "ipv4-mapped private"),
        ("::ffff:0.0.0.0", "ipv4-mapped private"),
        // IPv4-compatible (deprecated).
        ("::127.0.0.1", "ipv4-compatible private"),
        ("::192.168.0.1", "ipv4-compatible private"),
        // NAT64, well-known prefix.
        ("64:ff9b::a9fe:a9fe", "nat64 private"),
        ("64:ff9b::127.0.0.1", "nat64 private"),
        // NAT64, local-use prefix: embedded after a /96 or a /48 prefix.
        ("64:ff9b:1::10.0.0.1", "nat64 private"),
        ("64:ff9b:1:7f00:0:100::", "nat64 private"),
        ("64:ff9b:1:808:8:808:808:808", "nat64 local-use"),
        ("64:ff9b:1::8.8.8.8", "nat64 private"),
        // 6to4: bits 16..48.
        ("2002:7f00:1::", "6to4 private"),
        ("2002:a9fe:a9fe::1", "6to4 private"),
        ("2002:c0a8:0101::", "6to4 private"),
        // Teredo: client is the inverted last 32 bits; the server is bits 32..64.
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "teredo private"),
        ("2001:0:0a00:0001::1", "teredo private"),
    ];
    for (ip, reason) in table {
        assert_eq!(class(ip), AddressClass::NotPublic(reason), "{ip}");
    }
    for ip in [
        "::ffff:8.8.8.8",
        "::8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
        // Teredo with public server 65.54.227.120 and client 192.0.3.1 (inverted: 3fff:fcfe).
        "2001:0:4136:e378:8000:63bf:3fff:fcfe",
    ] {
        assert_eq!(class(ip), AddressClass::Public, "{ip}");
    }
}
