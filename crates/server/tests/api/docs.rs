//! The documents name files by path; a path that no longer exists means
//! the map is out of date.

use std::path::{Path, PathBuf};

/// File names the document mentions that are not files of this repository.
const OUTSIDE: &[&str] = &[
    // The operator's configuration file, created next to the binary.
    "witzo.toml",
    "./witzo.toml",
    // siteqa's own runner, in the shared benchmark folder.
    "run.py",
];

const EXTENSIONS: &[&str] = &[
    ".rs", ".md", ".sql", ".html", ".js", ".mjs", ".css", ".py", ".sh", ".toml", ".txt",
];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file of the repository, as a path relative to its root.
fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let generated = matches!(name.as_str(), ".git" | "target" | "node_modules")
                || (dir == root && name == "data");
            if !generated {
                files(root, &path, out);
            }
        } else {
            let relative = path.strip_prefix(root).unwrap();
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The `code` spans of `markdown` that name a file.
fn named_paths(markdown: &str) -> Vec<String> {
    markdown
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| !span.starts_with('/') && !span.contains(' '))
        .filter(|span| EXTENSIONS.iter().any(|ext| span.ends_with(ext)))
        .map(str::to_owned)
        .collect()
}

/// The documents checked, and how many files each names at least.
const DOCUMENTS: &[(&str, usize)] = &[
    ("docs/ARCHITECTURE.md", 40),
    ("docs/SECURITY.md", 40),
    ("docs/DEPLOY.md", 0),
    ("docs/CONFIG.md", 0),
    ("docs/WEBHOOKS.md", 3),
    ("README.md", 0),
];

#[test]
fn every_file_the_documents_name_exists() {
    let root = repository();
    let mut all = Vec::new();
    files(&root, &root, &mut all);
    let mut missing = Vec::new();
    for (document, at_least) in DOCUMENTS {
        let text = std::fs::read_to_string(root.join(document)).unwrap();
        let named = named_paths(&text);
        assert!(
            named.len() >= *at_least,
            "{document} names files: {named:?}"
        );
        for name in named.into_iter().filter(|n| !OUTSIDE.contains(&n.as_str())) {
            // `{a,b}` lists several files in one span.
            let exists = expand(&name).iter().all(|one| {
                all.iter()
                    .any(|file| file == one || file.ends_with(&format!("/{one}")))
            });
            if !exists {
                missing.push(format!("{document}: {name}"));
            }
        }
    }
    assert_eq!(missing, Vec::<String>::new(), "named but missing");
}

/// `tests/api/{a,b}.rs` → `tests/api/a.rs`, `tests/api/b.rs`.
fn expand(span: &str) -> Vec<String> {
    match (span.find('{'), span.find('}')) {
        (Some(open), Some(close)) if open < close => span[open + 1..close]
            .split(',')
            .map(|part| format!("{}{part}{}", &span[..open], &span[close + 1..]))
            .collect(),
        _ => vec![span.to_owned()],
    }
}

#[test]
fn a_renamed_file_is_caught() {
    assert_eq!(
        named_paths("see `mail.rs` and `tests/api/{a,b}.rs`, not `/widget.js`"),
        ["mail.rs", "tests/api/{a,b}.rs"]
    );
    assert_eq!(
        expand("tests/api/{a,b}.rs"),
        ["tests/api/a.rs", "tests/api/b.rs"]
    );
}
