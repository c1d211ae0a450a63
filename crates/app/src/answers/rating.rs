//! A visitor rating an answer: thumbs up or down, with an optional reason.

use witzo_store::domain::TextRules;

use crate::core::Core;
use crate::error::AppResult;
use crate::input;
use crate::widgets::cache::PublicWidget;

/// Records `visitor`'s rating of the answer `message_id` (`m_…`) in one of
/// their conversations on `widget` (`not_found` otherwise).
pub async fn rate(
    core: &Core,
    widget: &PublicWidget,
    visitor: &str,
    message_id: &str,
    up: bool,
    reason: Option<&str>,
) -> AppResult<()> {
    let message_id = input::public_id("message_id", message_id, "m_")?;
    let reason = input::text(
        "reason",
        reason,
        TextRules {
            max_chars: 500,
            multiline: true,
            required: false,
        },
    )?;
    core.store
        .rate_message(
            widget.live.widget.id,
            visitor,
            message_id,
            if up { 1 } else { -1 },
            &reason,
        )
        .await?;
    // A rated-down answer is a content gap the owner should see.
    if !up && !widget.preview {
        crate::gaps::rated_down(core, widget.live.widget.id, message_id).await?;
    }
    Ok(())
}
