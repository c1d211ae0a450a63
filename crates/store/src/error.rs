use thiserror::Error;

/// Errors of the storage layer. Callers map them to their own layer's errors;
/// the database's own message is kept only for the log.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The row asked for does not exist (or belongs to another tenant).
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the field names what collided.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A quota kept in the database is used up (e.g. codes per hour).
    #[error("too many requests")]
    TooMany,
    /// The database URL names a backend Witzo does not support.
    #[error("unsupported database URL (expected sqlite: or postgres:)")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not prepare the data directory: {0}")]
    Io(#[from] std::io::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// `Ok` when a statement touched a row; [`StoreError::NotFound`] when
    /// it touched none (the row is missing or another tenant's).
    pub(crate) fn found(rows_affected: u64) -> StoreResult<()> {
        if rows_affected == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Turns a unique-constraint violation into [`StoreError::Conflict`] on
    /// either backend; any other error passes through.
    pub(crate) fn on_unique(field: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(field),
            _ => StoreError::Database(err),
        }
    }
}
