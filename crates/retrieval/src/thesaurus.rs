//! Synonyms from WordNet 3.1 (`data/synonyms.txt`, built by
//! `data/make_synonyms.py`), as analysed terms: a visitor who asks to
//! "hire a bicycle" finds the page that says "rent a bike".

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::lexical::tokens;

static GROUPS: &str = include_str!("../data/synonyms.txt");

/// Each term's synonyms (terms of every synset it is in), sorted.
static SYNONYMS: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for line in GROUPS.lines().filter(|l| !l.starts_with('#')) {
        let mut terms = tokens(line);
        terms.sort();
        terms.dedup();
        for term in &terms {
            let entry = map.entry(term.clone()).or_default();
            entry.extend(terms.iter().filter(|t| *t != term).cloned());
        }
    }
    for list in map.values_mut() {
        list.sort();
        list.dedup();
    }
    map
});

/// The synonyms of an analysed term (none for unknown words).
pub fn synonyms(term: &str) -> &'static [String] {
    SYNONYMS.get(term).map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_everyday_synonyms_as_analysed_terms() {
        assert!(synonyms("hire").contains(&"rent".to_owned()));
        assert!(synonyms("bicycl").contains(&"bike".to_owned()));
        assert!(synonyms("tardi").contains(&"late".to_owned()));
        assert!(synonyms("ring").contains(&"phone".to_owned()));
        assert!(synonyms("zyzzyva").is_empty());
        assert!(!synonyms("hire").contains(&"hire".to_owned()));
    }
}
