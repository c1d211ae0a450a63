//! Plan limits with PRODUCT.md's defaults. (Plans become data, editable by
//! operators, with the billing work.)

/// What a plan allows. `None`: unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Visitor messages answered per monthly cycle.
    pub conversations: Option<i64>,
    pub widgets: Option<i64>,
    /// Website pages holding knowledge, across the account's widgets.
    pub pages: Option<i64>,
    /// Documents holding knowledge, across the account's widgets.
    pub documents: Option<i64>,
    /// May re-scrape websites automatically every 7, 15 or 30 days.
    pub auto_rescrape: bool,
    /// May remove "Powered by Witzo".
    pub white_label: bool,
}

pub fn limits(plan: &str) -> PlanLimits {
    match plan {
        "basic" => PlanLimits {
            conversations: Some(1_000),
            widgets: Some(1),
            pages: Some(30),
            documents: Some(10),
            auto_rescrape: true,
            white_label: false,
        },
        "standard" => PlanLimits {
            conversations: Some(5_000),
            widgets: Some(3),
            pages: Some(100),
            documents: Some(50),
            auto_rescrape: true,
            white_label: false,
        },
        "enterprise" => PlanLimits {
            conversations: None,
            widgets: None,
            pages: None,
            documents: None,
            auto_rescrape: true,
            white_label: true,
        },
        _ => PlanLimits {
            conversations: Some(100),
            widgets: Some(1),
            pages: Some(15),
            documents: Some(4),
            auto_rescrape: false,
            white_label: false,
        },
    }
}

/// Whether `used` of a `limit` is 90 % or more: when owners are warned.
pub fn nearly_used(used: i64, limit: i64) -> bool {
    used * 10 >= limit * 9
}

/// The smallest plan that allows `widgets` widgets.
pub fn plan_for_widgets(widgets: i64) -> &'static str {
    if widgets <= 1 {
        "basic"
    } else if widgets <= 3 {
        "standard"
    } else {
        "enterprise"
    }
}
