//! The server crate's layering, checked on its own source: no import cycle
//! between its top-level modules (`state` ← `extract` ← `security` ←
//! `routes` ← `app`, with leaves such as `cookies` and `surface` below
//! them), and no route module mounting or calling another route module's
//! handlers (the router, `app.rs` and `app/twins.rs`, is the one place that
//! names them all).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// A file's code as compiled outside tests: line comments and the unit
/// tests module left out.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The words right after each `crate::` (or inside `crate::{…}`).
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for rest in code.split("crate::").skip(1) {
        let words = match rest.strip_prefix('{') {
            Some(group) => group.split('}').next().unwrap_or_default(),
            None => rest,
        };
        for item in words.split(',') {
            let word: String = item
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            named.insert(word);
            if !rest.starts_with('{') {
                break;
            }
        }
    }
    named
}

/// Which top-level module uses which.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = source_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let module_of = |path: &Path| {
        let first = path
            .strip_prefix(&root)
            .unwrap()
            .components()
            .next()
            .unwrap();
        let name = first.as_os_str().to_string_lossy();
        name.trim_end_matches(".rs").to_owned()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f))
        .filter(|m| m != "lib" && m != "main" && m != "layering")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(file);
        if !modules.contains(&from) {
            continue;
        }
        let uses = crate_paths(&code_of(file));
        let edges = graph.entry(from.clone()).or_default();
        edges.extend(
            uses.into_iter()
                .filter(|to| modules.contains(to) && *to != from),
        );
    }
    graph
}

/// The modules on some cycle of `graph` (empty when it has none).
fn on_cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(node) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == to {
                    return true;
                }
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        false
    };
    graph.keys().filter(|m| reaches(m, m)).cloned().collect()
}

#[test]
fn a_cycle_is_found_where_there_is_one() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            graph
                .entry((*from).into())
                .or_default()
                .insert((*to).into());
            graph.entry((*to).into()).or_default();
        }
        graph
    };
    let cyclic = graph(&[
        ("state", "security"),
        ("security", "extract"),
        ("extract", "state"),
    ]);
    assert_eq!(on_cycles(&cyclic).len(), 3);
    let layered = graph(&[
        ("security", "extract"),
        ("extract", "state"),
        ("security", "state"),
    ]);
    assert!(on_cycles(&layered).is_empty());
    assert_eq!(
        crate_paths("use crate::{state::AppState, surface::Surface};\nuse crate::error::ApiError;"),
        ["error", "state", "surface"].map(String::from).into()
    );
}

#[test]
fn the_server_modules_import_one_another_without_a_cycle() {
    let graph = module_graph();
    assert!(graph.len() >= 12, "modules found: {:?}", graph.keys());
    assert!(
        graph["security"].contains("extract"),
        "the graph reads imports"
    );
    let cycles = on_cycles(&graph);
    assert!(cycles.is_empty(), "modules on an import cycle: {cycles:?}");
}

#[test]
fn no_route_module_names_another_route_modules_handlers() {
    let root = source_root().join("routes");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    // Handlers: the documented operations, `#[utoipa::path] … pub async fn`.
    let mut handlers: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in &files {
        let code = code_of(file);
        for operation in code.split("#[utoipa::path").skip(1) {
            if let Some(after) = operation.split("pub async fn ").nth(1) {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                handlers.insert(name, file.clone());
            }
        }
    }
    assert!(handlers.len() >= 80, "handlers found: {}", handlers.len());
    let mut crossings = Vec::new();
    for file in &files {
        let code = code_of(file);
        for statement in code.split("use ").skip(1) {
            let statement = statement.split(';').next().unwrap_or_default();
            if !(statement.starts_with("crate::routes") || statement.starts_with("super")) {
                continue;
            }
            for word in statement.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if handlers.get(word).is_some_and(|home| home != file) {
                    crossings.push(format!("{} uses {word}", file.display()));
                }
            }
        }
    }
    assert!(crossings.is_empty(), "{crossings:#?}");
}
