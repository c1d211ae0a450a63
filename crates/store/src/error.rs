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
    /// The database stayed busy (SQLite's lock past the busy timeout, a
    /// PostgreSQL serialization failure or deadlock) or could not be
    /// reached (restarting, connection lost): worth a retry.
    #[error("database busy: {0}")]
    Busy(sqlx::Error),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not prepare the data directory: {0}")]
    Io(#[from] std::io::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// This error again, for another caller of a shared database call
    /// (a batch's turns, a shared read): retryable as it was.
    pub(crate) fn copied(&self) -> Self {
        let copy = sqlx::Error::Protocol(self.to_string());
        match self {
            Self::Busy(_) => Self::Busy(copy),
            _ => Self::Database(copy),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        let busy = match &err {
            // SQLITE_BUSY, SQLITE_LOCKED and their extended codes (517 is
            // BUSY_SNAPSHOT); PostgreSQL's serialization failure and
            // deadlock.
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                matches!(
                    code.as_ref(),
                    "5" | "6" | "261" | "262" | "517" | "40001" | "40P01"
                )
            }),
            sqlx::Error::PoolTimedOut => true,
            _ => false,
        };
        // The database went away (restarting, network): a connection
        // failure, or PostgreSQL's class 08 and its shutdown codes.
        let gone = match &err {
            sqlx::Error::Io(_) | sqlx::Error::PoolClosed => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
            }),
            _ => false,
        };
        if busy || gone {
            StoreError::Busy(err)
        } else {
            StoreError::Database(err)
        }
    }
}

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
            _ => StoreError::from(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    /// A database's error with only a code, as a driver reports it.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "code {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            "database error"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn from_code(code: &'static str) -> StoreError {
        StoreError::from(sqlx::Error::Database(Box::new(Coded(code))))
    }

    #[test]
    fn a_busy_or_locked_database_is_told_apart_from_other_errors() {
        for busy in ["5", "6", "517", "40001", "40P01"] {
            assert!(matches!(from_code(busy), StoreError::Busy(_)), "{busy}");
        }
        assert!(matches!(
            StoreError::from(sqlx::Error::PoolTimedOut),
            StoreError::Busy(_)
        ));
        for other in ["1", "19", "23505", "42P01"] {
            assert!(
                matches!(from_code(other), StoreError::Database(_)),
                "{other}"
            );
        }
    }
}
