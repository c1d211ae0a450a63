//! The public surface's per-IP rate limit, on the limiter of
//! [`witzo_app::limits`].

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::ClientIp;
use crate::security::cors::{allow_origin, request_origin};
use crate::state::AppState;
use crate::surface::Surface;
use witzo_app::limits::{Quota, WhenDown};

/// The per-IP limit of the public surface: `429 rate_limited` with
/// `Retry-After` once an address exceeds its quota. IPv6 clients are limited
/// per /64, the block one subscriber usually holds.
pub async fn public_ip_limit(
    State(state): State<AppState>,
    ip: ClientIp,
    req: Request,
    next: Next,
) -> Response {
    if Surface::of(req.uri().path()) != Surface::Public {
        return next.run(req).await;
    }
    let limits = &state.config.limits;
    let quota = Quota::per_minute(limits.public_per_ip_per_minute, limits.public_per_ip_burst);
    let key = format!("public:ip:{}", ip_key(ip.0));
    match state.limiter.check(&key, quota, WhenDown::Local).await {
        Ok(_) => next.run(req).await,
        Err(refusal) => {
            let mut response =
                ApiError::from(refusal.error("Too many requests. Please slow down."))
                    .into_response();
            // Readable by the calling page, so the widget can say "slow down".
            if let Some(origin) = request_origin(req.headers()) {
                allow_origin(response.headers_mut(), &origin);
            }
            response
        }
    }
}

fn ip_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_their_64_and_mapped_ipv4_is_ipv4() {
        let key = |s: &str| ip_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
    }
}
