//! Owners' accounts: the tenants every other row belongs to.

use serde::Serialize;

use crate::domain::{AccountId, CleanText, CountryCode, EmailAddress, WebUrl};
use crate::{Store, StoreError, StoreResult};

/// An owner's account as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Account {
    #[sqlx(try_from = "i64")]
    pub id: AccountId,
    pub email: String,
    pub name: String,
    pub company: String,
    pub website: String,
    pub country: String,
    /// The plan's name (`free`, `basic`, `standard`, `enterprise`).
    pub plan: String,
    /// IANA time zone name for dates shown to the owner (`UTC` by default).
    pub time_zone: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The owner-editable profile, already validated.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: CleanText,
    pub company: CleanText,
    pub website: Option<WebUrl>,
    pub country: Option<CountryCode>,
    /// An IANA time zone name the caller checked.
    pub time_zone: String,
}

const COLUMNS: &str =
    "id, email, name, company, website, country, plan, time_zone, created_at, updated_at";

impl Store {
    /// Creates an account for `email`; [`StoreError::Conflict`] if one exists.
    pub async fn create_account(&self, email: &EmailAddress, now: i64) -> StoreResult<Account> {
        let sql = format!(
            "INSERT INTO accounts (email, cycle_start, created_at, updated_at) VALUES ($1, $2, $2, $2) RETURNING {COLUMNS}"
        );
        let account: Account = sqlx::query_as(&sql)
            .bind(email.as_str())
            .bind(now)
            .fetch_one(self.pool())
            .await
            .map_err(StoreError::on_unique("email"))?;
        Ok(account)
    }

    pub async fn account_by_id(&self, id: AccountId) -> StoreResult<Account> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
        let row: Option<Account> = sqlx::query_as(&sql)
            .bind(id.get())
            .fetch_optional(self.pool())
            .await?;
        row.ok_or(StoreError::NotFound)
    }

    pub async fn account_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Account>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE email = $1");
        let row: Option<Account> = sqlx::query_as(&sql)
            .bind(email.as_str())
            .fetch_optional(self.pool())
            .await?;
        Ok(row)
    }

    /// Every account, oldest first (for operators).
    pub async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts ORDER BY id");
        Ok(sqlx::query_as(&sql).fetch_all(self.pool()).await?)
    }

    pub async fn update_profile(
        &self,
        id: AccountId,
        profile: &Profile,
        now: i64,
    ) -> StoreResult<Account> {
        let sql = format!(
            "UPDATE accounts SET name = $1, company = $2, website = $3, country = $4, time_zone = $5, \
             updated_at = $6 WHERE id = $7 RETURNING {COLUMNS}"
        );
        let row: Option<Account> = sqlx::query_as(&sql)
            .bind(profile.name.as_str())
            .bind(profile.company.as_str())
            .bind(profile.website.as_ref().map_or("", WebUrl::as_str))
            .bind(profile.country.as_ref().map_or("", CountryCode::as_str))
            .bind(&profile.time_zone)
            .bind(now)
            .bind(id.get())
            .fetch_optional(self.pool())
            .await?;
        row.ok_or(StoreError::NotFound)
    }

    /// The account for `email`, created on first use. Safe under
    /// concurrency: two first sign-ins of one address yield one account.
    pub async fn find_or_create_account(
        &self,
        email: &EmailAddress,
        now: i64,
    ) -> StoreResult<(Account, bool)> {
        let sql = format!(
            "INSERT INTO accounts (email, cycle_start, created_at, updated_at) VALUES ($1, $2, $2, $2) \
             ON CONFLICT (email) DO NOTHING RETURNING {COLUMNS}"
        );
        let created: Option<Account> = sqlx::query_as(&sql)
            .bind(email.as_str())
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        match created {
            Some(account) => Ok((account, true)),
            None => {
                let existing = self.account_by_email(email).await?;
                existing
                    .map(|account| (account, false))
                    .ok_or(StoreError::NotFound)
            }
        }
    }

    /// Deletes the account and every row it owns: by cascade its sessions,
    /// identities, security log and (in later work) widgets and their data;
    /// explicitly the codes sent to its address. Records an
    /// `account_deleted` event that keeps no personal data.
    pub async fn delete_account(&self, id: AccountId, now: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let email: Option<(String,)> =
            sqlx::query_as("DELETE FROM accounts WHERE id = $1 RETURNING email")
                .bind(id.get())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((email,)) = email else {
            return Err(StoreError::NotFound);
        };
        sqlx::query("DELETE FROM login_codes WHERE email = $1")
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO audit_events (account_id, kind, ip, detail, created_at) VALUES (NULL, $1, '', '', $2)")
            .bind(crate::audit::AuditKind::AccountDeleted.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
