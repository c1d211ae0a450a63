//! The owner API's twins: the dashboard's JSON routes that `/api/v1` serves
//! too, with the same handlers (they take `Owner`, the session on `/api`
//! and the API key on `/api/v1`). Assembled here, beside the router, so no
//! route module mounts another's handlers.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, get, post, put};
use utoipa::openapi::OpenApi;

use crate::routes::{conversations, leads, qa, sources, widgets};
use crate::state::AppState;

/// The dashboard routes the API offers too: `(path, methods)`; each is
/// served at the same path under `/api/v1`.
pub const TWINS: &[(&str, &[&str])] = &[
    ("/api/widgets", &["get"]),
    ("/api/widgets/{id}", &["get", "put"]),
    ("/api/widgets/{id}/sources", &["get", "post"]),
    ("/api/widgets/{id}/documents", &["post"]),
    ("/api/widgets/{id}/retrain", &["post"]),
    ("/api/sources/{id}", &["get"]),
    ("/api/sources/{id}/retrain", &["post"]),
    ("/api/jobs/{id}", &["get"]),
    ("/api/conversations", &["get"]),
    ("/api/conversations/export", &["get"]),
    ("/api/conversations/{id}", &["get", "delete"]),
    ("/api/leads", &["get"]),
    ("/api/leads/export", &["get"]),
    ("/api/leads/{id}", &["get", "patch", "delete"]),
    ("/api/widgets/{id}/qa", &["get", "post"]),
    ("/api/widgets/{id}/qa/{qa_id}", &["put", "delete"]),
];

/// The `/api/v1` path of a dashboard route.
pub fn v1_path(twin: &str) -> String {
    twin.replacen("/api/", "/api/v1/", 1)
}

/// The twins' handlers, in [`TWINS`]' order.
fn handlers(upload_body_bytes: usize) -> Vec<MethodRouter<AppState>> {
    vec![
        get(widgets::list),
        get(widgets::get).put(widgets::update),
        get(sources::list).post(sources::add_website),
        post(sources::upload).layer(DefaultBodyLimit::max(upload_body_bytes)),
        post(sources::retrain_all),
        get(sources::get),
        post(sources::retrain),
        get(sources::job),
        get(conversations::list),
        get(conversations::export),
        get(conversations::get).delete(conversations::delete),
        get(leads::list),
        get(leads::export),
        get(leads::get).patch(leads::update).delete(leads::delete),
        get(qa::list).post(qa::add),
        put(qa::update).delete(qa::delete),
    ]
}

/// `router` with the twins mounted under `/api/v1`.
pub fn mount(mut router: Router<AppState>, upload_body_bytes: usize) -> Router<AppState> {
    for ((twin, _), handler) in TWINS.iter().zip(handlers(upload_body_bytes)) {
        router = router.route(&v1_path(twin), handler);
    }
    router
}

/// Copies each twin's documented operations to its `/api/v1` path, tagged
/// `owner-api` with operation ids prefixed `v1_`; the contract modifier
/// then gives them the API key's security and errors.
pub fn document(openapi: &mut OpenApi) {
    for (twin, methods) in TWINS {
        let Some(item) = openapi.paths.paths.get(*twin).cloned() else {
            continue;
        };
        let mut copy = utoipa::openapi::PathItem::default();
        copy.parameters = item.parameters.clone();
        for method in *methods {
            let (from, to) = match *method {
                "get" => (&item.get, &mut copy.get),
                "put" => (&item.put, &mut copy.put),
                "post" => (&item.post, &mut copy.post),
                "patch" => (&item.patch, &mut copy.patch),
                "delete" => (&item.delete, &mut copy.delete),
                _ => continue,
            };
            if let Some(operation) = from {
                let mut operation = operation.clone();
                operation.operation_id = operation.operation_id.map(|id| format!("v1_{id}"));
                operation.tags = Some(vec!["owner-api".to_owned()]);
                *to = Some(operation);
            }
        }
        openapi.paths.paths.insert(v1_path(twin), copy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_twin_has_its_handler_and_known_methods() {
        assert_eq!(TWINS.len(), handlers(1).len());
        for (path, methods) in TWINS {
            assert!(path.starts_with("/api/") && !methods.is_empty(), "{path}");
            for method in *methods {
                assert!(
                    ["get", "put", "post", "patch", "delete"].contains(method),
                    "{path} {method}"
                );
            }
        }
        assert_eq!(v1_path("/api/leads/{id}"), "/api/v1/leads/{id}");
    }
}
