//! SQLite backups taken while the server writes: `VACUUM INTO` copies the
//! database in one read transaction, so the copy is one consistent moment
//! (WAL lets writers go on meanwhile) and holds every row committed before
//! it began. PostgreSQL is backed up with `pg_dump` (see the CLI).

use std::path::Path;

use crate::{Backend, Store, StoreError, StoreResult};

impl Store {
    /// Writes a consistent copy of this SQLite database to `path`, which
    /// must not exist yet.
    pub async fn backup_sqlite_to(&self, path: &Path) -> StoreResult<()> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::UnsupportedUrl);
        }
        if path.exists() {
            return Err(StoreError::Conflict("backup file"));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// SQLite's own check of every page and index: `["ok"]` when sound,
    /// else what is wrong. PostgreSQL checks its pages as it reads them.
    pub async fn integrity_check(&self) -> StoreResult<Vec<String>> {
        if self.backend() != Backend::Sqlite {
            return Ok(vec!["ok".to_owned()]);
        }
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(self.pool())
            .await?;
        let mut found: Vec<String> = rows.into_iter().map(|(line,)| line).collect();
        let broken_keys: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(self.pool())
                .await?;
        if !broken_keys.is_empty() {
            found.retain(|line| line != "ok");
            found.extend(
                broken_keys
                    .into_iter()
                    .map(|(table,)| format!("foreign key broken in {table}")),
            );
        }
        Ok(found)
    }
}
