//! Monitoring: TCP port checks of monitored hosts, expiry watch, the public
//! status page, and the sales book of hosts and accounts sold outside the
//! catalog with its Excel import and export. State changes enqueue
//! notifications in the same transaction.

pub mod bounds;
pub mod checker;
mod error;
pub mod expiry;
pub mod host;
pub mod import;
pub mod isp;
pub mod probe;
pub mod retention;
pub mod sales;
pub mod spreadsheet;
pub mod status;
pub mod uptime;

pub use error::MonitoringError;

/// The bounds as the OpenAPI schema shows them (at the crate root: the
/// bounds are below both the host and the sales modules).
#[cfg(test)]
mod bounds_in_the_schema {
    /// utoipa takes only literals for `minimum`/`maximum`: this keeps them
    /// equal to the constants.
    #[test]
    fn the_schema_shows_the_bounds() {
        use utoipa::PartialSchema;
        let sale = serde_json::to_value(crate::sales::SaleInput::schema()).expect("schema");
        let host = serde_json::to_value(crate::host::HostInput::schema()).expect("schema");
        let bound = |schema: &serde_json::Value, field: &str, which: &str| {
            schema["properties"][field][which].as_f64()
        };
        assert_eq!(
            bound(&sale, "qty", "maximum"),
            Some(f64::from(crate::bounds::MAX_QTY))
        );
        assert_eq!(bound(&sale, "qty", "minimum"), Some(1.0));
        assert_eq!(
            bound(&sale, "price_minor", "maximum"),
            Some(crate::bounds::MAX_PRICE_MINOR as f64)
        );
        assert_eq!(
            bound(&host, "price_minor", "maximum"),
            Some(crate::bounds::MAX_PRICE_MINOR as f64)
        );
        assert_eq!(bound(&host, "price_minor", "minimum"), Some(0.0));
    }
}
