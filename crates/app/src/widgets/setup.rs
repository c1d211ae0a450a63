//! A new owner's setup: the first widget, allowed on their site, and the
//! crawl of the website they named, so setup ends with a widget that is
//! learning rather than one that knows nothing.

use std::net::IpAddr;

use witzo_store::domain::{AccountId, WebUrl};
use witzo_store::widgets::Widget;

use super::service::{self, WidgetInput};
use super::settings::WidgetSettings;
use crate::core::Core;
use crate::error::{AppError, AppResult};
use crate::training::service::{WebsiteInput, add_website, check_website};

/// What the setup form asks.
pub struct Setup<'a> {
    pub name: &'a str,
    /// The owner's website, or empty.
    pub website: &'a str,
    /// The domain the widget may be embedded on, or empty for the website's.
    pub domain: &'a str,
}

impl Setup<'_> {
    /// The domain typed, or else the website's (a plain-http one opted in).
    pub fn allowed_domain(&self) -> String {
        match self.domain.trim() {
            "" => WebUrl::parse(self.website.trim())
                .map(|url| url.allowed_domain())
                .unwrap_or_default(),
            typed => typed.to_owned(),
        }
    }
}

/// What setup made.
pub enum SetupDone {
    /// The widget, without a website to learn.
    Created(Widget),
    /// The widget, its website's crawl queued.
    Training(Widget),
    /// The widget exists, but its website was refused (the Sources page
    /// says why and offers to retry).
    WebsiteRefused(Widget, AppError),
}

/// Creates the widget and starts learning the website. A website the
/// crawler would refuse is refused before anything is made.
pub async fn finish(
    core: &Core,
    account: AccountId,
    ip: IpAddr,
    setup: &Setup<'_>,
) -> AppResult<SetupDone> {
    let website = setup.website.trim();
    if !website.is_empty() {
        check_website(core, website)?;
    }
    let input = WidgetInput {
        name: setup.name.to_owned(),
        allowed_domains: Some(setup.allowed_domain())
            .filter(|d| !d.is_empty())
            .into_iter()
            .collect(),
        settings: WidgetSettings::default(),
        active: true,
    };
    let widget = service::create(core, account, ip, &input).await?;
    if website.is_empty() {
        return Ok(SetupDone::Created(widget));
    }
    let crawl = WebsiteInput {
        url: website.to_owned(),
        max_depth: 3,
        include_paths: Vec::new(),
        exclude_paths: Vec::new(),
        rescrape_days: None,
    };
    match add_website(core, account, widget.id, &crawl).await {
        Ok(_) => Ok(SetupDone::Training(widget)),
        Err(err) if err.code.is_client_error() => Ok(SetupDone::WebsiteRefused(widget, err)),
        Err(err) => Err(err),
    }
}
