//! Classification of IP addresses as publicly routable or not (the SSRF guard).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether an address may be fetched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// A globally routable unicast address.
    Public,
    /// Not globally routable; the reason names the range (e.g. `"loopback"`, `"private"`).
    NotPublic(&'static str),
}

impl AddressClass {
    /// True for [`AddressClass::Public`].
    pub fn is_public(self) -> bool {
        matches!(self, AddressClass::Public)
    }
}

/// Classifies an address. IPv6 forms that embed an IPv4 address (mapped, compatible,
/// NAT64, 6to4, Teredo) are not public when the embedded address is not public.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// `(network, prefix length, reason)` for every non-public IPv4 range. Order matters
/// only where ranges overlap (broadcast before 240/4).
const V4_RANGES: &[([u8; 4], u8, &str)] = &[
    ([0, 0, 0, 0], 8, "this-network"),
    ([10, 0, 0, 0], 8, "private"),
    ([100, 64, 0, 0], 10, "cgnat"),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link-local"),
    ([172, 16, 0, 0], 12, "private"),
    ([192, 0, 0, 0], 24, "reserved"),
    ([192, 0, 2, 0], 24, "documentation"),
    ([192, 88, 99, 0], 24, "reserved"),
    ([192, 168, 0, 0], 16, "private"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([198, 51, 100, 0], 24, "documentation"),
    ([203, 0, 113, 0], 24, "documentation"),
    ([224, 0, 0, 0], 4, "multicast"),
    ([255, 255, 255, 255], 32, "broadcast"),
    ([240, 0, 0, 0], 4, "reserved"),
];

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let bits = u32::from(ip);
    for (net, len, reason) in V4_RANGES {
        let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
        if bits & mask == u32::from_be_bytes(*net) & mask {
            return AddressClass::NotPublic(reason);
        }
    }
    AddressClass::Public
}

/// `(network, prefix length, reason)` for IPv6 ranges that never embed IPv4.
const V6_RANGES: &[(u128, u8, &str)] = &[
    (0x0100_0000_0000_0000_0000_0000_0000_0000, 64, "discard"),
    (
        0x2001_0002_0000_0000_0000_0000_0000_0000,
        48,
        "benchmarking",
    ),
    (0x2001_0010_0000_0000_0000_0000_0000_0000, 28, "reserved"),
    (0x2001_0020_0000_0000_0000_0000_0000_0000, 28, "reserved"),
    (
        0x2001_0db8_0000_0000_0000_0000_0000_0000,
        32,
        "documentation",
    ),
    (
        0x3fff_0000_0000_0000_0000_0000_0000_0000,
        20,
        "documentation",
    ),
    (0xfc00_0000_0000_0000_0000_0000_0000_0000, 7, "ula"),
    (0xfe80_0000_0000_0000_0000_0000_0000_0000, 10, "link-local"),
    (0xfec0_0000_0000_0000_0000_0000_0000_0000, 10, "site-local"),
    (0xff00_0000_0000_0000_0000_0000_0000_0000, 8, "multicast"),
];

fn in_v6(bits: u128, net: u128, len: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    bits & mask == net & mask
}

/// The IPv4 address in bits `shift..shift + 32` counted from the least significant end.
fn v4_at(bits: u128, shift: u32) -> Ipv4Addr {
    // Truncation to the low 32 bits is the point here.
    Ipv4Addr::from((bits >> shift) as u32)
}

/// `NotPublic(reason)` when any of the embedded IPv4 addresses is not public.
fn embedded(addrs: &[Ipv4Addr], reason: &'static str) -> Option<AddressClass> {
    addrs
        .iter()
        .any(|a| !classify_v4(*a).is_public())
        .then_some(AddressClass::NotPublic(reason))
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let bits = u128::from(ip);
    if bits == 0 {
        return AddressClass::NotPublic("unspecified");
    }
    if bits == 1 {
        return AddressClass::NotPublic("loopback");
    }
    // ::ffff:0:0/96, IPv4-mapped.
    if in_v6(bits, 0xffff_0000_0000, 96) {
        return embedded(&[v4_at(bits, 0)], "ipv4-mapped private").unwrap_or(AddressClass::Public);
    }
    // ::/96, IPv4-compatible (deprecated).
    if in_v6(bits, 0, 96) {
        return embedded(&[v4_at(bits, 0)], "ipv4-compatible private")
            .unwrap_or(AddressClass::Public);
    }
    // 64:ff9b::/96, well-known NAT64 prefix.
    if in_v6(bits, 0x0064_ff9b << 96, 96) {
        return embedded(&[v4_at(bits, 0)], "nat64 private").unwrap_or(AddressClass::Public);
    }
    // 64:ff9b:1::/48, local-use NAT64 (RFC 8215). The embedded address may sit after a
    // /48 (split around the reserved octet) or a /96 prefix; check both. The range is
    // not globally reachable, so it is refused even when both look public.
    if in_v6(bits, 0x0064_ff9b_0001 << 80, 48) {
        let after_48 = ((((bits >> 64) & 0xffff) << 16) | ((bits >> 40) & 0xffff)) as u32;
        return embedded(&[v4_at(bits, 0), Ipv4Addr::from(after_48)], "nat64 private")
            .unwrap_or(AddressClass::NotPublic("nat64 local-use"));
    }
    // 2002::/16, 6to4: the IPv4 address is in bits 16..48.
    if in_v6(bits, 0x2002 << 112, 16) {
        return embedded(&[v4_at(bits, 80)], "6to4 private").unwrap_or(AddressClass::Public);
    }
    // 2001::/32, Teredo: server in bits 32..64, client is the last 32 bits inverted.
    if in_v6(bits, 0x2001 << 112, 32) {
        let client = Ipv4Addr::from(!(bits as u32));
        return embedded(&[v4_at(bits, 64), client], "teredo private")
            .unwrap_or(AddressClass::Public);
    }
    for (net, len, reason) in V6_RANGES {
        if in_v6(bits, *net, *len) {
            return AddressClass::NotPublic(reason);
        }
    }
    // Only 2000::/3 is allocated as global unicast.
    if !in_v6(bits, 0x2000 << 112, 3) {
        return AddressClass::NotPublic("reserved");
    }
    AddressClass::Public
}
