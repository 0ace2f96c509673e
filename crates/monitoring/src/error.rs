use domain::ValidationErrors;

/// What the monitoring features can fail with; the API maps each to HTTP in
/// one place.
#[derive(Debug, thiserror::Error)]
pub enum MonitoringError {
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    #[error("{0}")]
    NotFound(&'static str),
    /// The same name, address and port exist already.
    #[error("a host with this name, address and port exists already")]
    Duplicate,
    /// The request is refused in the current state (a router still has
    /// customers, a sync is running).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error(transparent)]
    Spreadsheet(#[from] crate::spreadsheet::SpreadsheetError),
    #[error(transparent)]
    Notify(#[from] notify::NotifyError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Jobs(#[from] jobs::Error),
    /// A bug or a broken invariant; logged, answered with 500.
    #[error("{0}")]
    Internal(String),
}

impl MonitoringError {
    /// A unique violation on the host identity (name ignoring case and
    /// surrounding spaces, address, port) is a duplicate host.
    pub(crate) fn from_write(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(database)
                if database.constraint() == Some("monitored_host_identity_key") =>
            {
                MonitoringError::Duplicate
            }
            _ => MonitoringError::Database(error),
        }
    }
}
