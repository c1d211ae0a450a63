//! robots.txt (RFC 9309): groups for `witzobot` or `*`, longest-match Allow/Disallow
//! with `*` and `$`, Crawl-delay and Sitemap lines.

use std::time::Duration;

use url::Url;

/// The product token matched against `User-agent` lines.
const AGENT: &str = "witzobot";

/// Bytes of robots.txt parsed (RFC 9309 asks for at least 500 KiB).
pub(crate) const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// One Allow or Disallow line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    pattern: String,
}

/// The rules that apply to WitzoBot on one origin.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Robots {
    rules: Vec<Rule>,
    /// `Crawl-delay` of the applicable group.
    pub crawl_delay: Option<Duration>,
    /// Every `Sitemap:` URL in the file.
    pub sitemaps: Vec<String>,
}

/// A group of consecutive `User-agent` lines and the rules after them.
#[derive(Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<Rule>,
    crawl_delay: Option<Duration>,
}

impl Robots {
    /// Everything allowed (no robots.txt, or a 4xx answer).
    pub(crate) fn allow_all() -> Self {
        Self::default()
    }

    /// Parses a robots.txt body.
    pub(crate) fn parse(body: &[u8]) -> Self {
        let body = String::from_utf8_lossy(&body[..body.len().min(MAX_ROBOTS_BYTES)]);
        let mut groups: Vec<Group> = Vec::new();
        let mut sitemaps = Vec::new();
        // Whether the current group already has rules (so a User-agent starts a new one).
        let mut in_rules = true;
        for line in body.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "user-agent" => {
                    if in_rules || groups.is_empty() {
                        groups.push(Group::default());
                        in_rules = false;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.agents.push(value.to_ascii_lowercase());
                    }
                }
                key @ ("allow" | "disallow") => {
                    in_rules = true;
                    if let Some(group) = groups.last_mut()
                        && !value.is_empty()
                    {
                        group.rules.push(Rule {
                            allow: key == "allow",
                            pattern: encode_pattern(value),
                        });
                    }
                }
                "crawl-delay" => {
                    in_rules = true;
                    let delay = value
                        .parse::<f64>()
                        .ok()
                        .filter(|d| d.is_finite() && *d >= 0.0);
                    if let Some(group) = groups.last_mut()
                        && let Some(delay) = delay
                    {
                        group
                            .crawl_delay
                            .get_or_insert(Duration::from_secs_f64(delay.min(3600.0)));
                    }
                }
                "sitemap" if !value.is_empty() => sitemaps.push(value.to_owned()),
                _ => {}
            }
        }
        let ours = |g: &Group| g.agents.iter().any(|a| a.split('/').next() == Some(AGENT));
        let matching: Vec<&Group> = if groups.iter().any(ours) {
            groups.iter().filter(|g| ours(g)).collect()
        } else {
            groups
                .iter()
                .filter(|g| g.agents.iter().any(|a| a == "*"))
                .collect()
        };
        Self {
            rules: matching
                .iter()
                .flat_map(|g| g.rules.iter().cloned())
                .collect(),
            crawl_delay: matching.iter().find_map(|g| g.crawl_delay),
            sitemaps,
        }
    }

    /// Whether `url` may be fetched: the longest matching rule wins, Allow on ties.
    pub(crate) fn allowed(&self, url: &Url) -> bool {
        let mut target = url.path().to_owned();
        if target == "/robots.txt" {
            return true;
        }
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        let mut best: Option<&Rule> = None;
        for rule in &self.rules {
            if !matches(&rule.pattern, &target) {
                continue;
            }
            let better = best.is_none_or(|b| {
                rule.pattern.len() > b.pattern.len()
                    || (rule.pattern.len() == b.pattern.len() && rule.allow && !b.allow)
            });
            if better {
                best = Some(rule);
            }
        }
        best.is_none_or(|r| r.allow)
    }
}

/// Percent-encodes what a URL path would encode, so patterns compare with URL paths.
fn encode_pattern(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 1);
    if !value.starts_with(['/', '*']) {
        out.push('/');
    }
    let mut escape = 0;
    for c in value.chars() {
        if escape > 0 && c.is_ascii_hexdigit() {
            // Percent-escapes compare upper-case, as URL paths write them.
            escape -= 1;
            out.push(c.to_ascii_uppercase());
        } else if c.is_ascii() && !c.is_ascii_control() && c != ' ' {
            escape = if c == '%' { 2 } else { 0 };
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Matches `pattern` (with `*` wildcards and an optional trailing `$`) against the
/// start of `target`, in linear-ish time (greedy wildcard matching with backtracking to
/// the last `*` only).
fn matches(pattern: &str, target: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p.as_bytes(), true),
        None => (pattern.as_bytes(), false),
    };
    let target = target.as_bytes();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p == pattern.len() && (!anchored || t == target.len()) {
            return true;
        }
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && t < target.len() && pattern[p] == target[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star
            && st < target.len()
        {
            star = Some((sp, st + 1));
            p = sp + 1;
            t = st + 1;
        } else {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(robots: &Robots, path: &str) -> bool {
        robots.allowed(&Url::parse(&format!("https://x.org{path}")).unwrap())
    }

    #[test]
    fn picks_our_group_over_the_wildcard() {
        let robots = Robots::parse(
            b"User-agent: *\nDisallow: /\n\nUser-agent: Googlebot\nUser-agent: WitzoBot/1.0\n\
              Disallow: /private/ # comment\nAllow: /private/open$\nCrawl-delay: 2.5\n\
              Sitemap: https://x.org/s.xml\n\nUser-agent: witzobot\nDisallow: /tmp\n",
        );
        assert!(allowed(&robots, "/"));
        assert!(!allowed(&robots, "/private/x"));
        assert!(allowed(&robots, "/private/open"));
        assert!(!allowed(&robots, "/private/open/more"));
        assert!(!allowed(&robots, "/tmp/a"));
        assert!(allowed(&robots, "/robots.txt"));
        assert_eq!(robots.crawl_delay, Some(Duration::from_millis(2500)));
        assert_eq!(robots.sitemaps, ["https://x.org/s.xml"]);
    }

    #[test]
    fn wildcard_group_and_longest_match() {
        let robots = Robots::parse(
            b"user-agent: *\ndisallow: /shop\nallow: /shop/items\ndisallow: /*.php$\n\
              disallow: /*?session=\nallow: /page\ndisallow: /page\ndisallow:\n",
        );
        assert!(!allowed(&robots, "/shop/cart"));
        assert!(allowed(&robots, "/shop/items/1"));
        assert!(!allowed(&robots, "/index.php"));
        assert!(allowed(&robots, "/index.php?x=1"));
        assert!(!allowed(&robots, "/a?session=1"));
        assert!(allowed(&robots, "/page"), "allow wins ties");
        assert!(allowed(&robots, "/other"));
    }

    #[test]
    fn wildcards_and_encoding() {
        assert!(matches("/a*b*c$", "/axxbyyc"));
        assert!(!matches("/a*b*c$", "/axxbyycd"));
        assert!(matches("*", "/anything"));
        assert!(matches("/", "/"));
        assert!(!matches("/a$", "/ab"));
        let robots =
            Robots::parse("User-agent: *\nDisallow: /café\nDisallow: /b%c3%a4ck\n".as_bytes());
        assert!(!allowed(&robots, "/café/menu"));
        assert!(!allowed(&robots, "/bäckerei"));
        let slow = format!("/{}b", "*a".repeat(20));
        assert!(!matches(&slow, &format!("/{}", "a".repeat(5000))));
    }

    #[test]
    fn no_groups_allow_everything() {
        let robots = Robots::parse(b"Sitemap: /s.xml\nDisallow: /x\n");
        assert!(allowed(&robots, "/x"));
        assert!(allowed(&Robots::allow_all(), "/x"));
    }
}
