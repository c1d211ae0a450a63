//! The weekly content-gap digest: owners who opted in get their five
//! biggest open gaps once a week (claimed per account in one conditional
//! update, so several instances send it once).

use witzo_store::domain::EmailAddress;
use witzo_store::gaps::GapOrder;

use crate::core::Core;
use crate::mail::messages::{DigestGap, GapDigest};

/// A week, in seconds.
pub const WEEK: i64 = 7 * 86_400;

/// Sends every digest due at `now`; returns how many went out.
pub async fn send_due(state: &Core, now: i64) -> anyhow::Result<usize> {
    let link = state.config.public_url.as_ref().map_or_else(
        || "/app/gaps".to_owned(),
        |u| format!("{}app/gaps", ensure_slash(u.as_str())),
    );
    let mut sent = 0;
    for (account, email) in state.store.claim_gap_digests(now - WEEK, now).await? {
        let gaps: Vec<DigestGap> = state
            .store
            .gaps_of(account, None, false, GapOrder::Biggest, 5)
            .await?
            .into_iter()
            .map(DigestGap::from)
            .collect();
        if gaps.is_empty() {
            continue;
        }
        let Ok(to) = EmailAddress::parse(&email) else {
            continue;
        };
        state
            .mailer
            .send(
                &to,
                &GapDigest {
                    gaps: &gaps,
                    link: &link,
                },
            )
            .await?;
        sent += 1;
    }
    Ok(sent)
}

fn ensure_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}
