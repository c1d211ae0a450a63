//! Sign-in: one-time codes by e-mail and the OpenID Connect client.

pub mod codes;
pub mod oidc;
pub mod openid;
