//! How the server applies the stored plans (`witzo_store::plans`): the
//! 90 % warning rule and the `403 plan_limit_*` refusals, which name the
//! figures and the plan that would lift the limit.

use witzo_store::Store;
use witzo_store::domain::AccountId;
use witzo_store::plans::{Limit, Plan};

use crate::error::{AppError, AppResult, ErrorCode};

/// Whether `used` of a `limit` is 90 % or more: when owners are warned.
pub fn nearly_used(used: i64, limit: i64) -> bool {
    used * 10 >= limit * 9
}

/// Whole percent of `limit` used, 0–100 (0 when unlimited), for meters:
/// the dashboard's turn amber from 90 and red at 100.
pub fn percent_used(used: i64, limit: Option<i64>) -> i64 {
    match limit {
        Some(limit) if limit > 0 => (used * 100 / limit).clamp(0, 100),
        Some(_) => 100,
        None => 0,
    }
}

/// The smallest plan above `current` that allows `needed` of `what`.
pub async fn lifting_plan(
    store: &Store,
    current: &Plan,
    what: Limit,
    needed: i64,
) -> AppResult<Option<Plan>> {
    Ok(store.plans().await?.into_iter().find(|plan| {
        plan.position > current.position && plan.limit(what).is_none_or(|limit| limit >= needed)
    }))
}

/// What an owner adds that a plan caps by refusing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capped {
    Pages,
    Documents,
    Widgets,
}

impl Capped {
    fn limit(self) -> Limit {
        match self {
            Self::Pages => Limit::Pages,
            Self::Documents => Limit::Documents,
            Self::Widgets => Limit::Widgets,
        }
    }

    /// The error code, and the noun for one and for several.
    fn code(self) -> (ErrorCode, &'static str, &'static str) {
        match self {
            Self::Pages => (ErrorCode::PlanLimitPages, "website page", "website pages"),
            Self::Documents => (ErrorCode::PlanLimitDocuments, "document", "documents"),
            Self::Widgets => (ErrorCode::PlanLimitWidgets, "widget", "widgets"),
        }
    }
}

/// The first plan above `current` that includes the feature flag
/// `feature` (a name of [`witzo_store::plans::Features::named`]), to name
/// in a refusal or on a locked section.
pub async fn plan_with(store: &Store, current: &Plan, feature: &str) -> AppResult<Option<Plan>> {
    Ok(store.plans().await?.into_iter().find(|plan| {
        plan.position > current.position
            && plan
                .features
                .named()
                .iter()
                .any(|(name, on)| *name == feature && *on)
    }))
}

/// Whether an account's plan includes a feature flag, and the smallest
/// bigger plan that does when it does not.
#[derive(Debug, Clone)]
pub struct FeatureAccess {
    pub enabled: bool,
    pub plan: Plan,
    pub upgrade_to: Option<Plan>,
}

/// The account's access to `feature` (a name of
/// [`witzo_store::plans::Features::named`]).
pub async fn feature_access(
    store: &Store,
    account: AccountId,
    feature: &str,
) -> AppResult<FeatureAccess> {
    let plan = store.account_plan(account).await?;
    let enabled = plan
        .features
        .named()
        .iter()
        .any(|(name, on)| *name == feature && *on);
    let upgrade_to = if enabled {
        None
    } else {
        plan_with(store, &plan, feature).await?
    };
    Ok(FeatureAccess {
        enabled,
        plan,
        upgrade_to,
    })
}

impl FeatureAccess {
    /// `Ok` when the plan includes the feature; otherwise a 403 `code`
    /// saying the plan does not include `what`, naming the plan that includes
    /// it, with `{plan, upgrade_to}` as details.
    pub fn require(self, code: ErrorCode, what: &str) -> AppResult<()> {
        if self.enabled {
            return Ok(());
        }
        let lift = self.upgrade_to.as_ref().map_or_else(
            || " Contact us to add it.".to_owned(),
            |up| format!(" Available on the {} plan.", up.name),
        );
        Err(AppError::new(
            code,
            format!(
                "Your {} plan does not include {what}.{lift}",
                self.plan.name
            ),
        )
        .details(serde_json::json!({
            "plan": self.plan.id,
            "upgrade_to": self.upgrade_to.map(|p| p.id),
        })))
    }
}

/// Refuses adding `adding` more of `what` when `used` already count
/// against `plan`'s limit: a 403 with `{used, limit, plan, upgrade_to}`.
pub async fn check_limit(
    store: &Store,
    plan: &Plan,
    what: Capped,
    used: i64,
    adding: i64,
) -> AppResult<()> {
    let Some(limit) = plan.limit(what.limit()) else {
        return Ok(());
    };
    if used + adding <= limit {
        return Ok(());
    }
    Err(limit_error(store, plan, what, used, limit).await?)
}

/// The refusal for `what` at `limit`, naming the plan that lifts it.
pub async fn limit_error(
    store: &Store,
    plan: &Plan,
    what: Capped,
    used: i64,
    limit: i64,
) -> AppResult<AppError> {
    let (code, one, several) = what.code();
    let noun = if limit == 1 { one } else { several };
    let verb = if used == 1 { "is" } else { "are" };
    let upgrade = lifting_plan(store, plan, what.limit(), used.max(limit) + 1).await?;
    let lift = upgrade.as_ref().map_or_else(
        || " Contact us for more.".to_owned(),
        |up| format!(" The {} plan allows more.", up.name),
    );
    Ok(AppError::new(
        code,
        format!(
            "Your {} plan allows {limit} {noun}; {used} {verb} in use.{lift}",
            plan.name
        ),
    )
    .details(serde_json::json!({
        "used": used,
        "limit": limit,
        "plan": plan.id,
        "upgrade_to": upgrade.map(|p| p.id),
    })))
}
