//! Which half of the product a request is for, decided by its path: the
//! security layer, the extractors and the error pages all ask it.

/// Which half of the product a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Dashboard,
    Public,
    /// The owner REST API (`/api/v1/…`): bearer API keys, no cookies, so
    /// no CSRF and no CORS.
    OwnerApi,
}

impl Surface {
    pub fn of(path: &str) -> Self {
        let public = path == "/v1"
            || path.starts_with("/v1/")
            || path == "/widget.js"
            || path.starts_with("/embed/");
        if public {
            Self::Public
        } else if path == "/api/v1" || path.starts_with("/api/v1/") {
            Self::OwnerApi
        } else {
            Self::Dashboard
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dashboard => "dashboard",
            Self::Public => "public",
            Self::OwnerApi => "owner_api",
        }
    }
}
