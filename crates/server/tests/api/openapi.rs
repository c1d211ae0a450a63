//! The served OpenAPI document: well-formed OpenAPI 3.1, with the error
//! responses it promises, and enough for a client that knows nothing but
//! the document to chat, rate an answer and leave a lead.

use std::collections::{BTreeMap, HashSet};

use reqwest::Method;
use serde_json::{Value, json};
use witzo_server::error::ErrorCode;

use crate::helpers::{TestApp, spawn_app};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn document(app: &TestApp) -> Value {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

/// Every `(method, path, operation)` of the document.
fn operations(doc: &Value) -> Vec<(&str, &str, &Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            found.push((method.as_str(), path.as_str(), operation));
        }
    }
    found
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => out.push(target),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_well_formed_openapi_3_1() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    let mut ids = HashSet::new();
    for (method, path, operation) in operations(&doc) {
        let at = format!("{method} {path}");
        assert!(path.starts_with('/'), "{at}");
        let id = operation["operationId"].as_str().unwrap();
        assert!(ids.insert(id.to_owned()), "operationId {id} twice");
        // Parameters: a known place, a schema, and each `{name}` of the path
        // declared once, required, in the path.
        let mut in_path = HashSet::new();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let (name, place) = (
                parameter["name"].as_str().unwrap(),
                parameter["in"].as_str().unwrap(),
            );
            assert!(
                ["query", "path", "header", "cookie"].contains(&place),
                "{at} {name}"
            );
            assert!(parameter["schema"].is_object(), "{at} {name}");
            if place == "path" {
                assert_eq!(parameter["required"], true, "{at} {name}");
                assert!(in_path.insert(name), "{at} {name} twice");
            }
        }
        let templated: HashSet<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split('}').next())
            .collect();
        assert_eq!(templated, in_path, "{at}");
        // Responses: at least one, each a status with a description.
        let responses = operation["responses"].as_object().unwrap();
        assert!(!responses.is_empty(), "{at}");
        for (status, response) in responses {
            let code: u16 = status.parse().unwrap_or_else(|_| panic!("{at} {status}"));
            assert!((100..600).contains(&code), "{at} {status}");
            assert!(response["description"].is_string(), "{at} {status}");
        }
        // Security requirements name declared schemes.
        for requirement in operation["security"].as_array().into_iter().flatten() {
            for scheme in requirement.as_object().unwrap().keys() {
                assert!(schemes.contains_key(scheme), "{at}: {scheme}");
            }
        }
        for body in operation["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
        {
            assert!(body.1["schema"].is_object(), "{at}");
        }
    }
    // Every reference resolves.
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        let pointer = target.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
    }
}

/// The codes an error response's `ErrorBody` is narrowed to.
fn codes(response: &Value) -> Option<Vec<&str>> {
    response["content"]["application/json"]["schema"]["allOf"][1]["properties"]["code"]["enum"]
        .as_array()
        .map(|codes| codes.iter().map(|c| c.as_str().unwrap()).collect())
}

#[tokio::test]
async fn every_error_response_lists_codes_of_its_status() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (method, path, operation) in operations(&doc) {
        let page = path == "/app" || path.starts_with("/app/");
        for (status, response) in operation["responses"].as_object().unwrap() {
            let status: u16 = status.parse().unwrap();
            if status < 400 {
                continue;
            }
            let at = format!("{method} {path} {status}");
            let description = response["description"].as_str().unwrap();
            assert!(description.contains("Codes: `"), "{at}: {description}");
            if page && status != 500 && status != 503 {
                // Dashboard pages show errors as pages.
                assert!(response["content"]["text/html"].is_object(), "{at}");
                continue;
            }
            let listed = codes(response).unwrap_or_else(|| panic!("{at}: no ErrorBody codes"));
            assert!(!listed.is_empty(), "{at}");
            for code in listed {
                let known = ErrorCode::parse(code).unwrap_or_else(|| panic!("{at}: {code}"));
                assert_eq!(known.status(), status, "{at}: {code}");
            }
            if status == 429 || status == 503 {
                assert!(response["headers"]["Retry-After"].is_object(), "{at}");
            }
        }
    }
    // What every family of operations can meet is there.
    let responses = |method: &str, path: &str| doc["paths"][path][method]["responses"].clone();
    let chat = responses("post", "/v1/chat");
    assert!(
        codes(&chat["403"])
            .unwrap()
            .contains(&"widget_domain_not_allowed")
    );
    assert!(codes(&chat["404"]).unwrap().contains(&"widget_key_invalid"));
    assert!(
        codes(&chat["415"])
            .unwrap()
            .contains(&"unsupported_media_type")
    );
    assert!(codes(&chat["429"]).unwrap().contains(&"rate_limited"));
    let profile = responses("put", "/api/me/profile");
    assert!(codes(&profile["401"]).unwrap().contains(&"unauthenticated"));
    assert!(
        codes(&profile["403"])
            .unwrap()
            .contains(&"csrf_token_missing")
    );
    assert!(codes(&profile["400"]).unwrap().contains(&"invalid_json"));
    assert!(codes(&profile["422"]).unwrap().contains(&"unknown_field"));
    assert!(
        codes(&profile["413"])
            .unwrap()
            .contains(&"payload_too_large")
    );
}

#[tokio::test]
async fn dashboard_writes_need_the_session_and_the_csrf_token_and_v1_needs_neither() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let security = |method: &str, path: &str| doc["paths"][path][method]["security"].clone();
    assert_eq!(
        security("put", "/api/me/profile"),
        json!([{"session": [], "csrf_token": []}])
    );
    assert_eq!(security("get", "/api/widgets"), json!([{"session": []}]));
    assert_eq!(security("post", "/v1/chat"), Value::Null);
    assert_eq!(security("get", "/healthz"), Value::Null);
    assert_eq!(
        security("post", "/api/auth/email-code"),
        json!([{"pre_session": [], "csrf_token": []}, {"session": [], "csrf_token": []}])
    );
}

/// An operation found by its `operationId`, and requests built from it.
struct Operation<'a> {
    doc: &'a Value,
    method: Method,
    path: &'a str,
    spec: &'a Value,
}

impl<'a> Operation<'a> {
    fn find(doc: &'a Value, id: &str) -> Self {
        let (method, path, spec) = operations(doc)
            .into_iter()
            .find(|(_, _, operation)| operation["operationId"] == id)
            .unwrap_or_else(|| panic!("no operation {id}"));
        Self {
            doc,
            method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
            path,
            spec,
        }
    }

    /// The URL with every required path and query parameter taken from
    /// `values` (a parameter the document does not declare is not sent).
    fn url(&self, app: &TestApp, values: &BTreeMap<&str, String>) -> String {
        let mut path = self.path.to_owned();
        let mut query = Vec::new();
        for parameter in self.spec["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap();
            let required = parameter["required"] == true;
            let Some(value) = values.get(name) else {
                assert!(!required, "no value for the required {name}");
                continue;
            };
            match parameter["in"].as_str().unwrap() {
                "path" => path = path.replace(&format!("{{{name}}}"), value),
                "query" => query.push(format!("{name}={value}")),
                place => panic!("{name} in {place}"),
            }
        }
        let url = app.url(&path);
        if query.is_empty() {
            url
        } else {
            format!("{url}?{}", query.join("&"))
        }
    }

    /// The JSON request body's schema, `$ref`s and `allOf`s followed.
    fn properties(&self) -> (Vec<String>, Vec<String>) {
        let mut schema = &self.spec["requestBody"]["content"]["application/json"]["schema"];
        let (mut names, mut required) = (Vec::new(), Vec::new());
        let mut pending = vec![schema];
        while let Some(next) = pending.pop() {
            schema = next;
            if let Some(target) = schema["$ref"].as_str() {
                pending.push(self.doc.pointer(&target[1..]).unwrap());
                continue;
            }
            pending.extend(schema["allOf"].as_array().into_iter().flatten());
            names.extend(
                schema["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k.clone()),
            );
            required.extend(
                schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| r.as_str().unwrap().to_owned()),
            );
        }
        (names, required)
    }

    /// A body of the document's properties taken from `values`; every
    /// required one must be there.
    fn body(&self, values: &Value) -> Value {
        let (names, required) = self.properties();
        let mut body = serde_json::Map::new();
        for name in names {
            if let Some(value) = values.get(&name) {
                body.insert(name, value.clone());
            }
        }
        for name in required {
            assert!(body.contains_key(&name), "no value for the required {name}");
        }
        Value::Object(body)
    }

    /// The one success status the document gives.
    fn success(&self) -> u16 {
        let successes: Vec<u16> = self.spec["responses"]
            .as_object()
            .unwrap()
            .keys()
            .filter_map(|s| s.parse().ok())
            .filter(|s| (200..300).contains(s))
            .collect();
        assert_eq!(successes.len(), 1, "{} {}", self.method, self.path);
        successes[0]
    }

    async fn send(
        &self,
        app: &TestApp,
        origin: &str,
        params: &BTreeMap<&str, String>,
        values: &Value,
    ) -> reqwest::Response {
        app.client
            .request(self.method.clone(), self.url(app, params))
            .header("origin", origin)
            .json(&self.body(values))
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_client_built_from_the_document_alone_chats_rates_and_leaves_a_lead() {
    // Arrange: a widget allowed on the shop's site.
    let app = spawn_app().await;
    let owner = app.sign_in("ada@example.com").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;
    let origin = "https://shop.example.com";
    let doc = document(&app).await;
    let params = BTreeMap::from([("key", widget.key.clone())]);
    let visitor = crate::helpers::visitor();

    // Act and assert: each call with the status the document gives.
    let chat = Operation::find(&doc, "chat");
    let question = json!({"visitor_id": visitor, "message": "What are your opening hours?"});
    let response = chat.send(&app, origin, &params, &question).await;
    assert_eq!(response.status().as_u16(), chat.success());
    let reply: Value = response.json().await.unwrap();
    assert!(reply["answer"].is_string(), "{reply}");

    let feedback = Operation::find(&doc, "feedback");
    let rating = json!({"visitor_id": visitor, "message_id": reply["message_id"], "rating": "up"});
    let response = feedback.send(&app, origin, &params, &rating).await;
    assert_eq!(response.status().as_u16(), feedback.success());

    let contact = Operation::find(&doc, "contact");
    let lead = json!({
        "visitor_id": visitor,
        "conversation_id": reply["conversation_id"],
        "name": "Grace",
        "email": "grace@example.com",
    });
    let response = contact.send(&app, origin, &params, &lead).await;
    assert_eq!(response.status().as_u16(), contact.success());
    let leads = app
        .state
        .store
        .count_leads(owner.account, &Default::default())
        .await
        .unwrap();
    assert_eq!(leads, 1);

    // A lead without an e-mail or phone breaks the document's rule and is
    // refused with a status the document lists.
    let bare = json!({"visitor_id": visitor, "name": "Grace"});
    let response = contact.send(&app, origin, &params, &bare).await;
    let status = response.status().as_u16().to_string();
    assert_eq!(status, "422");
    assert!(contact.spec["responses"][&status].is_object());
}

/// The document names schemas by type name: two types of one name would
/// silently share one schema (a response checked against the other's). No
/// two schema types in the crates share a name.
#[test]
fn schema_type_names_are_unique_across_the_crates() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut twice = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("tests") && !path.ends_with("target") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if !line.contains("derive(") || !line.contains("ToSchema") {
                    continue;
                }
                let name = lines[i + 1..]
                    .iter()
                    .find_map(|l| {
                        let l = l.trim_start().trim_start_matches("pub ");
                        l.strip_prefix("struct ")
                            .or_else(|| l.strip_prefix("enum "))
                            .map(|rest| {
                                rest.split([' ', '{', '(', '<', ';'])
                                    .next()
                                    .unwrap_or("")
                                    .to_owned()
                            })
                    })
                    .unwrap_or_default();
                let at = path.display().to_string();
                if let Some(first) = seen.insert(name.clone(), at.clone()) {
                    twice.push(format!("{name}: {first} and {at}"));
                }
            }
        }
    }
    assert!(
        seen.len() > 100,
        "the scan found only {} schema types",
        seen.len()
    );
    assert!(twice.is_empty(), "{twice:#?}");
}
