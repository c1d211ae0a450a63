//! Plan limits that widgets need, with PRODUCT.md's defaults. (Plans become
//! data, editable by operators, with the billing work.)

/// What a plan allows for widgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// `None`: unlimited.
    pub widgets: Option<i64>,
    /// May remove "Powered by Witzo".
    pub white_label: bool,
}

pub fn limits(plan: &str) -> PlanLimits {
    match plan {
        "standard" => PlanLimits {
            widgets: Some(3),
            white_label: false,
        },
        "enterprise" => PlanLimits {
            widgets: None,
            white_label: true,
        },
        "basic" => PlanLimits {
            widgets: Some(1),
            white_label: false,
        },
        _ => PlanLimits {
            widgets: Some(1),
            white_label: false,
        },
    }
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
