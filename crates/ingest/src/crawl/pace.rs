//! Spacing requests to one origin by its robots.txt `Crawl-delay`.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

/// The next free request slot per origin.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    next: HashMap<String, Instant>,
}

impl Pacer {
    /// Reserves the next slot for `url`'s origin: now, or `delay` after the previous
    /// reserved slot, whichever is later.
    pub(crate) fn slot(&mut self, url: &Url, delay: Duration) -> Instant {
        let now = Instant::now();
        let origin = url.origin().ascii_serialization();
        let slot = self.next.get(&origin).map_or(now, |&n| n.max(now));
        self.next.insert(origin, slot + delay);
        slot
    }
}
