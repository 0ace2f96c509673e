//! Excel import and export of hosts and account sales. An upload is parsed
//! row by row straight into two row tables keyed by the import id (batches
//! written by `COPY` while the parser reads on), each row marked as it goes
//! in against the stored hosts and sales (read once at the upload's start):
//! a host is `new`, an `update` (with the fields that change)
//! or `unchanged`; an account sale is `new` or a `duplicate` of one in the
//! book or earlier in the file; a row with problems is `invalid`. The upload
//! answers with the summary and the first page; the rows are served by page
//! and status. Confirming writes the rows in one transaction, once;
//! cancelling discards them. Re-importing never destroys data: a blank cell
//! keeps the stored value, only a value changes it.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{Currency, Money};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

mod copy;
mod known;

use self::copy::CopyRows;
use self::known::{BookedSales, FingerprintSet, Fingerprints, Known};
use crate::MonitoringError;
use crate::host::WriteContext;
use crate::probe::Host;
use crate::sales;
use crate::spreadsheet::{
    self, AccountSaleExportRow, AccountSaleRow, Field, HostExportRow, HostRow, ImportSummary, Port,
    ProblemCode, Quantity, RowProblem, RowSink, ShortText, SpreadsheetError,
};

/// How long an unconfirmed preview is kept.
pub const PREVIEW_TTL: Duration = Duration::from_secs(60 * 60);

/// Rows per page when the caller does not say, and at most.
pub const DEFAULT_PAGE_ROWS: u32 = 50;
pub const MAX_PAGE_ROWS: u32 = 500;

/// Rows written per statement while the parser reads on: large enough that
/// the per-statement cost vanishes, small enough that a batch in flight
/// costs a few megabytes.
const BATCH_ROWS: usize = 5_000;

/// Rows written by one confirm after which the tables' statistics are
/// refreshed at once (by [`ANALYZE_JOB`], queued by the confirm).
const ANALYZE_AFTER_ROWS: u64 = 10_000;

/// Refreshes the statistics of the tables an import grew, right after the
/// confirm commits (payload: the import's id).
pub const ANALYZE_JOB: &str = "monitoring.analyze_after_import";

pub fn register_jobs(registry: &mut jobs::Registry) {
    registry.handle(ANALYZE_JOB, |context: jobs::JobContext| async move {
        sqlx::query("ANALYZE monitored_host, sale")
            .execute(&context.pool)
            .await
            .map_err(|error| jobs::JobError::Retry(error.into()))?;
        Ok(())
    });
}

/// What a preview row would do if the import were confirmed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// A host or sale not yet in the database.
    New,
    /// A known host whose row changes some fields (`changes` lists them).
    Update,
    /// A known host the row would leave as it is.
    Unchanged,
    /// An account sale identical to one in the book or earlier in the file
    /// (skipped unless the confirm says `include_duplicates`); or a host row
    /// for a host an earlier row of the file already names (the lower row's
    /// values are the ones applied, and the host is counted once).
    Duplicate,
    /// The row has problems and is skipped.
    Invalid,
}

impl RowStatus {
    const ALL: [RowStatus; 5] = [
        RowStatus::New,
        RowStatus::Update,
        RowStatus::Unchanged,
        RowStatus::Duplicate,
        RowStatus::Invalid,
    ];

    fn as_str(self) -> &'static str {
        match self {
            RowStatus::New => "new",
            RowStatus::Update => "update",
            RowStatus::Unchanged => "unchanged",
            RowStatus::Duplicate => "duplicate",
            RowStatus::Invalid => "invalid",
        }
    }

    fn parse(text: &str) -> Result<Self, MonitoringError> {
        Ok(match text {
            "new" => RowStatus::New,
            "update" => RowStatus::Update,
            "unchanged" => RowStatus::Unchanged,
            "duplicate" => RowStatus::Duplicate,
            "invalid" => RowStatus::Invalid,
            other => {
                return Err(MonitoringError::Internal(format!(
                    "unknown import row status {other}"
                )));
            }
        })
    }
}

/// Rows of one kind per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusCounts {
    pub new: u32,
    pub update: u32,
    pub unchanged: u32,
    pub duplicate: u32,
    /// Rows with problems.
    pub invalid: u32,
}

impl StatusCounts {
    fn add(&mut self, status: RowStatus, count: i64) {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        let slot = match status {
            RowStatus::New => &mut self.new,
            RowStatus::Update => &mut self.update,
            RowStatus::Unchanged => &mut self.unchanged,
            RowStatus::Duplicate => &mut self.duplicate,
            RowStatus::Invalid => &mut self.invalid,
        };
        *slot = slot.saturating_add(count);
    }

    fn merge(&mut self, other: StatusCounts) {
        for status in RowStatus::ALL {
            self.add(status, i64::from(other.of(Some(status), 0)));
        }
    }

    fn of(&self, status: Option<RowStatus>, total: u32) -> u32 {
        match status {
            None => total,
            Some(RowStatus::New) => self.new,
            Some(RowStatus::Update) => self.update,
            Some(RowStatus::Unchanged) => self.unchanged,
            Some(RowStatus::Duplicate) => self.duplicate,
            Some(RowStatus::Invalid) => self.invalid,
        }
    }
}

/// The summary kept with a preview (the rows are in the row tables).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StagedSummary {
    /// What the parser read: rows per kind and sheet, sheets left out.
    pub parsed: ImportSummary,
    /// `VPS` rows by what confirming would do.
    pub hosts: StatusCounts,
    /// `AKUN` rows by what confirming would do.
    pub account_sales: StatusCounts,
}

/// A stored preview: its summary and the first page of each kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StagedImport {
    pub id: Uuid,
    pub file_name: String,
    pub expires_at: DateTime<Utc>,
    pub summary: StagedSummary,
    /// The first page of `VPS` rows (all statuses).
    pub hosts: HostRowPage,
    /// The first page of `AKUN` rows (all statuses).
    pub account_sales: AccountSaleRowPage,
}

/// A field a re-import changes, with the stored and the new value as text
/// (dates `YYYY-MM-DD`, prices in minor units).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldChange {
    pub field: Field,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One `VPS` row of a preview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportHostRow {
    pub sheet: String,
    /// The row number Excel shows (1-based).
    pub row: u32,
    pub name: Option<String>,
    /// The `ip` column: an IP address or a host name.
    pub ip: Option<String>,
    pub port: Option<u16>,
    pub expire_date: Option<NaiveDate>,
    #[schema(value_type = Option<crate::spreadsheet::PriceSchema>)]
    pub price: Option<Money>,
    pub problems: Vec<RowProblem>,
    pub status: RowStatus,
    /// For `update`: what changes.
    pub changes: Vec<FieldChange>,
}

/// One `AKUN` row of a preview, with the values it would be recorded with
/// (blank merchant and type are empty, blank qty is 1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportAccountSaleRow {
    pub sheet: String,
    pub row: u32,
    pub sold_at: Option<NaiveDate>,
    pub name: Option<String>,
    pub merchant: Option<String>,
    #[serde(rename = "type")]
    pub account_type: Option<String>,
    pub qty: Option<u32>,
    #[schema(value_type = Option<crate::spreadsheet::PriceSchema>)]
    pub price: Option<Money>,
    pub problems: Vec<RowProblem>,
    pub status: RowStatus,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostRowPage {
    /// Rows matching the filter, on every page.
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<ImportHostRow>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountSaleRowPage {
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<ImportAccountSaleRow>,
}

/// Which rows of a preview to list.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowQuery {
    /// Only rows with this status (`invalid`: only problems); all when absent.
    pub status: Option<RowStatus>,
    /// Rows to skip (default 0).
    pub offset: Option<u32>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportResult {
    pub hosts_created: u64,
    /// Known hosts whose stored values changed.
    pub hosts_updated: u64,
    /// Known hosts the file left as they were.
    pub hosts_unchanged: u64,
    /// Sales recorded for the new hosts.
    pub host_sales_recorded: u64,
    pub account_sales_created: u64,
    /// Account sales identical to one in the book (or earlier in the file), left out.
    pub account_sales_duplicates_skipped: u64,
    /// Rows with problems, left out.
    pub rows_skipped: u64,
}

/// A confirmed or cancelled import, for the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct ClosedImport<T> {
    pub file_name: String,
    pub summary: StagedSummary,
    pub outcome: T,
}

// ---------------------------------------------------------------------------
// Staging

/// A batch of parsed rows on its way from a parser thread to a writer:
/// the `seq` of its first row (rows are numbered in file order, per kind),
/// the rows, and for each whether a valid row for the same host (the same
/// sale) came earlier in the file.
enum Batch {
    Hosts(i32, Vec<HostRow>, Vec<bool>),
    AccountSales(i32, Vec<AccountSaleRow>, Vec<bool>),
}

/// Rows of one kind waiting for their batch, and the 128-bit fingerprints
/// of the valid rows seen so far: 16 bytes a row instead of the row itself.
struct Pending<T> {
    rows: Vec<T>,
    repeats: Vec<bool>,
    seen: FingerprintSet,
    /// Rows already handed out in batches.
    sent: i32,
}

impl<T> Pending<T> {
    fn new() -> Self {
        Pending {
            rows: Vec::with_capacity(BATCH_ROWS),
            repeats: Vec::with_capacity(BATCH_ROWS),
            seen: FingerprintSet::default(),
            sent: 0,
        }
    }

    /// Adds a row (`fingerprint`: of its identity, when valid); answers a
    /// full batch to send.
    fn push(&mut self, row: T, fingerprint: Option<u128>) -> Option<(i32, Vec<T>, Vec<bool>)> {
        let repeat = fingerprint.is_some_and(|fingerprint| !self.seen.insert(fingerprint));
        self.rows.push(row);
        self.repeats.push(repeat);
        (self.rows.len() >= BATCH_ROWS).then(|| self.take())
    }

    fn take(&mut self) -> (i32, Vec<T>, Vec<bool>) {
        let first_seq = self.sent + 1;
        self.sent = self
            .sent
            .saturating_add(i32::try_from(self.rows.len()).unwrap_or(i32::MAX));
        (
            first_seq,
            std::mem::replace(&mut self.rows, Vec::with_capacity(BATCH_ROWS)),
            std::mem::replace(&mut self.repeats, Vec::with_capacity(BATCH_ROWS)),
        )
    }
}

/// A parsed row as the staging batches it.
trait StagedRow: Sized + Send {
    /// The fingerprint of what makes two rows the same host (the same
    /// sale), for a valid row.
    fn fingerprint(&self, fingerprints: &Fingerprints) -> Option<u128>;

    fn batch(first_seq: i32, rows: Vec<Self>, repeats: Vec<bool>) -> Batch;
}

impl StagedRow for HostRow {
    fn fingerprint(&self, fingerprints: &Fingerprints) -> Option<u128> {
        // The host as confirming matches it: name ignoring case and
        // surrounding spaces (a `ShortText` has none), address, port.
        match (&self.name, &self.ip, self.port) {
            (Some(name), Some(ip), Some(port)) if self.is_valid() => {
                Some(fingerprints.of(&(name.as_str().to_lowercase(), ip, port.get())))
            }
            _ => None,
        }
    }

    fn batch(first_seq: i32, rows: Vec<Self>, repeats: Vec<bool>) -> Batch {
        Batch::Hosts(first_seq, rows, repeats)
    }
}

impl StagedRow for AccountSaleRow {
    fn fingerprint(&self, fingerprints: &Fingerprints) -> Option<u128> {
        SaleKey::of(self).map(|key| fingerprints.of(&key))
    }

    fn batch(first_seq: i32, rows: Vec<Self>, repeats: Vec<bool>) -> Batch {
        Batch::AccountSales(first_seq, rows, repeats)
    }
}

/// A parser thread's sink for one kind of row: rows go out in batches over
/// a bounded channel, so the parser waits for the database rather than
/// piling rows up in memory.
struct BatchSink<Row> {
    sender: mpsc::Sender<Batch>,
    pending: Pending<Row>,
    fingerprints: Fingerprints,
}

impl<Row: StagedRow> BatchSink<Row> {
    fn new(sender: mpsc::Sender<Batch>, fingerprints: Fingerprints) -> Self {
        BatchSink {
            sender,
            pending: Pending::new(),
            fingerprints,
        }
    }

    fn send(
        &self,
        (first_seq, rows, repeats): (i32, Vec<Row>, Vec<bool>),
    ) -> Result<(), SpreadsheetError> {
        self.sender
            .blocking_send(Row::batch(first_seq, rows, repeats))
            .map_err(|_| SpreadsheetError::Stopped("the import writer stopped".to_owned()))
    }

    fn push(&mut self, row: Row) -> Result<(), SpreadsheetError> {
        let fingerprint = row.fingerprint(&self.fingerprints);
        match self.pending.push(row, fingerprint) {
            Some(batch) => self.send(batch),
            None => Ok(()),
        }
    }

    /// Sends the rows short of a whole batch.
    fn flush(&mut self) -> Result<(), SpreadsheetError> {
        if self.pending.rows.is_empty() {
            return Ok(());
        }
        let batch = self.pending.take();
        self.send(batch)
    }
}

impl RowSink<AccountSaleRow> for BatchSink<AccountSaleRow> {
    fn row(&mut self, row: AccountSaleRow) -> Result<(), SpreadsheetError> {
        self.push(row)
    }
}

/// The `VPS` rows' sink: the rows are also held to the uploader's address
/// rules.
struct HostBatchSink {
    batches: BatchSink<HostRow>,
    writer: WriteContext,
}

impl RowSink<HostRow> for HostBatchSink {
    fn row(&mut self, row: HostRow) -> Result<(), SpreadsheetError> {
        self.batches.push(row)
    }

    fn vet(&self, row: &mut HostRow) {
        let Some(ip) = row.ip.as_ref().and_then(Host::ip) else {
            return;
        };
        if let Err(refused) = self.writer.check_ip(ip) {
            row.problems.push(RowProblem {
                field: Field::Ip,
                code: ProblemCode::AddressNotAllowed,
                message: refused.to_string(),
            });
        }
    }
}

/// What makes two account sales the same sale, with the values they are
/// recorded with (blank merchant and type empty, blank qty 1, no price 0 IDR).
#[derive(Hash)]
struct SaleKey<'r> {
    sold_on: NaiveDate,
    name: &'r str,
    merchant: &'r str,
    item_type: &'r str,
    qty: i32,
    price_minor: i64,
    currency: &'r str,
}

impl<'r> SaleKey<'r> {
    fn of(row: &'r AccountSaleRow) -> Option<Self> {
        if !row.is_valid() {
            return None;
        }
        Some(SaleKey {
            sold_on: row.sold_at?,
            name: row.name.as_ref()?.as_str(),
            merchant: row.merchant.as_ref().map_or("", ShortText::as_str),
            item_type: row.account_type.as_ref().map_or("", ShortText::as_str),
            qty: i32::try_from(row.qty.map_or(1, Quantity::get)).unwrap_or(i32::MAX),
            price_minor: row.price.map_or(0, Money::minor),
            currency: currency_of(row.price).code(),
        })
    }
}

fn currency_of(price: Option<Money>) -> Currency {
    price.map_or(Currency::Idr, Money::currency)
}

fn problems_json(problems: &[RowProblem]) -> Result<Option<String>, MonitoringError> {
    if problems.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(problems)
        .map(Some)
        .map_err(|error| MonitoringError::Internal(error.to_string()))
}

/// Parses the upload into the row tables and keeps its summary; nothing
/// else is written. The parser runs on blocking threads (the `VPS` and the
/// `AKUN` sheets each on one) and hands rows over in batches, matched and
/// written while it reads on by [`WRITERS`] connections at once.
///
/// The preview row is committed first, marked incomplete (readers, confirm
/// and cancel do not see it), and completed with its summary once every row
/// is in. A file refused halfway deletes the preview and with it the rows
/// already written; an upload cut short (the server stopped, the client
/// went away mid-request) leaves an incomplete preview that the retention
/// sweep deletes, rows and all, when it expires.
pub async fn stage(
    pool: &PgPool,
    created_by: Option<Uuid>,
    file_name: &str,
    bytes: Vec<u8>,
    writer: WriteContext,
) -> Result<StagedImport, MonitoringError> {
    let id = Uuid::new_v4();
    let file_name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let ttl = f64::from(u32::try_from(PREVIEW_TTL.as_secs()).unwrap_or(3600));
    let expires_at = sqlx::query_scalar!(
        "INSERT INTO import_preview (id, created_by, file_name, summary, complete, expires_at)
         VALUES ($1, $2, $3, '{}', false, now() + make_interval(secs => $4)) RETURNING expires_at",
        id,
        created_by,
        file_name,
        ttl
    )
    .fetch_one(pool)
    .await?;
    let summary = match write_rows(pool, id, bytes, writer).await {
        Ok(summary) => summary,
        Err(error) => {
            // The preview's rows go with it (its delete trigger). Should
            // that fail too, the upload's own error is the one to answer;
            // the incomplete preview is swept when it expires.
            if let Err(cleanup) = sqlx::query!("DELETE FROM import_preview WHERE id = $1", id)
                .execute(pool)
                .await
            {
                tracing::warn!(import = %id, error = %cleanup, "a failed upload's preview was left for the sweep");
            }
            return Err(error);
        }
    };
    let json = serde_json::to_value(&summary)
        .map_err(|error| MonitoringError::Internal(error.to_string()))?;
    sqlx::query!(
        "UPDATE import_preview SET summary = $2, complete = true WHERE id = $1",
        id,
        json
    )
    .execute(pool)
    .await?;
    first_pages(pool, id, file_name, expires_at, summary).await
}

/// Connections writing an upload's rows at once: one encodes its batch
/// while the other's `COPY` goes in. Three were measured best when the
/// database matched each row (0.8–1.0 s against two's 0.9–1.1 s); with
/// matching in the app and `COPY`, two were not measured against three.
const WRITERS: usize = 2;

/// Parses the file into the row tables of preview `id` and answers its
/// summary.
async fn write_rows(
    pool: &PgPool,
    id: Uuid,
    bytes: Vec<u8>,
    writer: WriteContext,
) -> Result<StagedSummary, MonitoringError> {
    let fingerprints = Fingerprints::new();
    let (sender, receiver) = mpsc::channel::<Batch>(WRITERS);
    let sink_fingerprints = fingerprints.clone();
    let parser = tokio::task::spawn_blocking(move || {
        let mut hosts = HostBatchSink {
            batches: BatchSink::new(sender.clone(), sink_fingerprints.clone()),
            writer,
        };
        let mut account_sales = BatchSink::new(sender, sink_fingerprints);
        let summary = spreadsheet::read_rows(&bytes, &mut hosts, &mut account_sales)?;
        hosts.batches.flush()?;
        account_sales.flush()?;
        Ok::<_, SpreadsheetError>(summary)
    });
    let receiver = tokio::sync::Mutex::new(receiver);
    // The stored hosts are read while the parser unpacks the workbook (its
    // first quarter second reads no row).
    let written = async {
        let known = Known::load(pool, fingerprints).await?;
        futures::future::try_join_all(
            (0..WRITERS).map(|_| write_batches(pool, id, &receiver, &known)),
        )
        .await
    }
    .await;
    // Closing the channel stops a parser still reading after a failed write.
    drop(receiver);
    let parsed = parser.await.map_err(|error| {
        MonitoringError::Internal(format!("the import parser stopped: {error}"))
    })?;
    let written = written?;
    let mut parsed = parsed?;
    let (mut hosts, mut account_sales) = (StatusCounts::default(), StatusCounts::default());
    for (host_counts, sale_counts) in written {
        hosts.merge(host_counts);
        account_sales.merge(sale_counts);
    }
    // Matching against the stored hosts can find problems the parser could
    // not (a price without currency for a host kept in dollars): the row
    // counts follow the statuses.
    parsed.hosts.rows_with_problems = hosts.invalid;
    parsed.hosts.valid_rows = parsed.hosts.total_rows.saturating_sub(hosts.invalid);
    Ok(StagedSummary {
        parsed,
        hosts,
        account_sales,
    })
}

/// One writer: takes batches until the parser is done, writes them in one
/// transaction of its own, and answers the row counts by status (hosts,
/// account sales) of what it wrote.
async fn write_batches(
    pool: &PgPool,
    import_id: Uuid,
    receiver: &tokio::sync::Mutex<mpsc::Receiver<Batch>>,
    known: &Known,
) -> Result<(StatusCounts, StatusCounts), MonitoringError> {
    let mut tx = pool.begin().await?;
    let (mut hosts, mut account_sales) = (StatusCounts::default(), StatusCounts::default());
    loop {
        let batch = receiver.lock().await.recv().await;
        let stream = match batch {
            None => break,
            Some(Batch::Hosts(first_seq, rows, repeats)) => {
                let keys = known.name_keys(&mut tx, &rows).await?;
                host_rows(
                    import_id, first_seq, rows, &repeats, keys, known, &mut hosts,
                )?
            }
            Some(Batch::AccountSales(first_seq, rows, repeats)) => {
                let booked = known.account_sales(pool).await?;
                sale_rows(
                    import_id,
                    first_seq,
                    &rows,
                    &repeats,
                    &booked,
                    &mut account_sales,
                )?
            }
        };
        let mut copy = tx.copy_in_raw(stream.statement).await?;
        copy.send(stream.rows).await?;
        copy.finish().await?;
    }
    tx.commit().await?;
    Ok((hosts, account_sales))
}

/// A batch encoded for `COPY`.
struct CopyStream {
    statement: &'static str,
    rows: Vec<u8>,
}

/// Starts a row of either row table with the columns both begin with: the
/// import, the row's place in the file, its sheet and its Excel row number.
fn start_import_row(copy: &mut CopyRows, import_id: Uuid, seq: i32, sheet: &str, row: u32) {
    copy.row();
    copy.uuid(import_id);
    copy.int4(seq);
    copy.text(sheet);
    copy.int4(i32::try_from(row).unwrap_or(i32::MAX));
}

const HOST_ROW_COPY: &str = "COPY import_host_row (import_id, seq, sheet, row_number, name, address, port, expires_on, price_minor, currency,
     problems, status, changed, host_id, old_name, old_expires_on, old_price_minor, old_currency) FROM STDIN (FORMAT binary)";

/// Marks a batch of `VPS` rows against the stored hosts and encodes them.
/// A host is matched as confirming matches it (name ignoring case and
/// surrounding spaces, address, port); a blank cell never counts as a
/// change. `unchanged`/`update` here and the writes in `confirm` follow
/// the same rule.
fn host_rows(
    import_id: Uuid,
    first_seq: i32,
    rows: Vec<HostRow>,
    repeats: &[bool],
    name_keys: Vec<Option<String>>,
    known: &Known,
    counts: &mut StatusCounts,
) -> Result<CopyStream, MonitoringError> {
    let mut copy = CopyRows::new(18, rows.len() * 192);
    for (((seq, mut row), &repeats_in_file), name_key) in
        (first_seq..).zip(rows).zip(repeats).zip(name_keys)
    {
        let address = row.ip.as_ref().map(ToString::to_string);
        let port = row.port.map(|port| i32::from(port.get()));
        let stored = match (&name_key, &address, port) {
            (Some(key), Some(address), Some(port)) if row.problems.is_empty() => {
                known.host(key, address, port)
            }
            _ => None,
        };
        // A price without a currency is read as rupiah: against a host
        // kept in another currency it cannot be applied.
        if let Some(host) = stored
            && row.price.is_some()
            && !row.currency_stated
            && host.currency != Currency::Idr
        {
            row.problems.push(RowProblem {
                field: Field::Currency,
                code: ProblemCode::CurrencyRequired,
                message: format!(
                    "the price has no currency and the host is kept in {}: fill in the currency",
                    host.currency.code()
                ),
            });
        }
        let currency = row
            .price
            .filter(|_| row.currency_stated)
            .map(Money::currency);
        let changed = stored.map(|host| {
            let mut changed = Vec::new();
            if row
                .name
                .as_ref()
                .is_some_and(|name| name.as_str() != host.name)
            {
                changed.push("name");
            }
            if row
                .expire_date
                .is_some_and(|date| Some(date) != host.expires_on)
            {
                changed.push("expire_date");
            }
            if row
                .price
                .is_some_and(|price| Some(price.minor()) != host.price_minor)
            {
                changed.push("price");
            }
            if currency.is_some_and(|currency| currency != host.currency) {
                changed.push("currency");
            }
            changed
        });
        let status = if !row.problems.is_empty() {
            RowStatus::Invalid
        } else if repeats_in_file {
            RowStatus::Duplicate
        } else {
            match &changed {
                None => RowStatus::New,
                Some(changed) if changed.is_empty() => RowStatus::Unchanged,
                Some(_) => RowStatus::Update,
            }
        };
        counts.add(status, 1);

        start_import_row(&mut copy, import_id, seq, &row.sheet, row.row);
        copy.optional(row.name.as_ref().map(ShortText::as_str), CopyRows::text);
        copy.optional(address.as_deref(), CopyRows::text);
        copy.optional(port, CopyRows::int4);
        copy.optional(row.expire_date, CopyRows::date);
        copy.optional(row.price.map(Money::minor), CopyRows::int8);
        copy.optional(currency.map(Currency::code), CopyRows::text);
        copy.optional(problems_json(&row.problems)?.as_deref(), CopyRows::jsonb);
        copy.text(status.as_str());
        copy.optional(changed.as_deref(), CopyRows::text_array);
        copy.optional(stored.map(|host| host.id), CopyRows::int8);
        copy.optional(stored.map(|host| host.name.as_str()), CopyRows::text);
        copy.optional(stored.and_then(|host| host.expires_on), CopyRows::date);
        copy.optional(stored.and_then(|host| host.price_minor), CopyRows::int8);
        copy.optional(stored.map(|host| host.currency.code()), CopyRows::text);
    }
    Ok(CopyStream {
        statement: HOST_ROW_COPY,
        rows: copy.finish(),
    })
}

const SALE_ROW_COPY: &str = "COPY import_sale_row (import_id, seq, sheet, row_number, sold_on, name, merchant, item_type, qty, price_minor,
     currency, problems, repeats_in_file, status) FROM STDIN (FORMAT binary)";

/// Marks a batch of `AKUN` rows against the book and encodes them, each
/// valid row with the values it would be recorded with.
fn sale_rows(
    import_id: Uuid,
    first_seq: i32,
    rows: &[AccountSaleRow],
    repeats: &[bool],
    booked: &BookedSales<'_>,
    counts: &mut StatusCounts,
) -> Result<CopyStream, MonitoringError> {
    let mut copy = CopyRows::new(14, rows.len() * 160);
    for ((seq, row), &repeats_in_file) in (first_seq..).zip(rows).zip(repeats) {
        let key = SaleKey::of(row);
        let status = match &key {
            None => RowStatus::Invalid,
            Some(_) if repeats_in_file => RowStatus::Duplicate,
            Some(key) if booked.contains(key) => RowStatus::Duplicate,
            Some(_) => RowStatus::New,
        };
        counts.add(status, 1);

        start_import_row(&mut copy, import_id, seq, &row.sheet, row.row);
        copy.optional(row.sold_at, CopyRows::date);
        copy.optional(row.name.as_ref().map(ShortText::as_str), CopyRows::text);
        match &key {
            // A valid row: as it would be recorded.
            Some(key) => {
                copy.text(key.merchant);
                copy.text(key.item_type);
                copy.int4(key.qty);
                copy.int8(key.price_minor);
                copy.text(key.currency);
            }
            None => {
                copy.optional(row.merchant.as_ref().map(ShortText::as_str), CopyRows::text);
                copy.optional(
                    row.account_type.as_ref().map(ShortText::as_str),
                    CopyRows::text,
                );
                copy.optional(row.qty, |copy, qty| {
                    copy.int4(i32::try_from(qty.get()).unwrap_or(i32::MAX));
                });
                copy.optional(row.price.map(Money::minor), CopyRows::int8);
                copy.optional(
                    row.price.map(|price| price.currency().code()),
                    CopyRows::text,
                );
            }
        }
        copy.optional(problems_json(&row.problems)?.as_deref(), CopyRows::jsonb);
        copy.bool(repeats_in_file);
        copy.text(status.as_str());
    }
    Ok(CopyStream {
        statement: SALE_ROW_COPY,
        rows: copy.finish(),
    })
}

// ---------------------------------------------------------------------------
// Reading a preview back

struct StoredPreview {
    file_name: String,
    expires_at: DateTime<Utc>,
    summary: StagedSummary,
}

fn decode(value: serde_json::Value) -> Result<StagedSummary, MonitoringError> {
    serde_json::from_value(value).map_err(|error| {
        MonitoringError::Internal(format!("a stored import summary does not decode: {error}"))
    })
}

async fn stored(conn: &mut PgConnection, id: Uuid) -> Result<StoredPreview, MonitoringError> {
    let row = sqlx::query!(
        "SELECT file_name, expires_at, summary FROM import_preview WHERE id = $1 AND complete AND expires_at > now()",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(MonitoringError::NotFound("no such import, or it expired"))?;
    Ok(StoredPreview {
        file_name: row.file_name,
        expires_at: row.expires_at,
        summary: decode(row.summary)?,
    })
}

async fn first_pages(
    pool: &PgPool,
    id: Uuid,
    file_name: String,
    expires_at: DateTime<Utc>,
    summary: StagedSummary,
) -> Result<StagedImport, MonitoringError> {
    let query = RowQuery::default();
    let hosts = host_page(pool, id, &summary, &query).await?;
    let account_sales = account_sale_page(pool, id, &summary, &query).await?;
    Ok(StagedImport {
        id,
        file_name,
        expires_at,
        summary,
        hosts,
        account_sales,
    })
}

/// The preview's summary and first pages again (e.g. after a page reload).
pub async fn load(pool: &PgPool, id: Uuid) -> Result<StagedImport, MonitoringError> {
    let mut conn = pool.acquire().await?;
    let preview = stored(&mut conn, id).await?;
    drop(conn);
    first_pages(
        pool,
        id,
        preview.file_name,
        preview.expires_at,
        preview.summary,
    )
    .await
}

fn page_bounds(query: &RowQuery) -> (u32, u32) {
    let limit = query
        .limit
        .unwrap_or(DEFAULT_PAGE_ROWS)
        .clamp(1, MAX_PAGE_ROWS);
    (query.offset.unwrap_or(0), limit)
}

fn problems_of(value: Option<serde_json::Value>) -> Result<Vec<RowProblem>, MonitoringError> {
    value.map_or(Ok(Vec::new()), |value| {
        serde_json::from_value(value).map_err(|error| {
            MonitoringError::Internal(format!("stored row problems do not decode: {error}"))
        })
    })
}

fn money(minor: Option<i64>, currency: Option<&str>) -> Option<Money> {
    let currency = currency.and_then(|code| Currency::from_str(code).ok());
    minor.map(|minor| Money::new(minor, currency.unwrap_or(Currency::Idr)))
}

/// A page of `VPS` rows of a preview.
pub async fn hosts(
    pool: &PgPool,
    id: Uuid,
    query: &RowQuery,
) -> Result<HostRowPage, MonitoringError> {
    let mut conn = pool.acquire().await?;
    let preview = stored(&mut conn, id).await?;
    drop(conn);
    host_page(pool, id, &preview.summary, query).await
}

async fn host_page(
    pool: &PgPool,
    id: Uuid,
    summary: &StagedSummary,
    query: &RowQuery,
) -> Result<HostRowPage, MonitoringError> {
    let (offset, limit) = page_bounds(query);
    let rows = sqlx::query!(
        r#"SELECT sheet, row_number, name, address, port, expires_on, price_minor, currency, problems, status,
                  changed, old_name, old_expires_on, old_price_minor, old_currency
           FROM import_host_row WHERE import_id = $1 AND ($2::text IS NULL OR status = $2)
           ORDER BY seq OFFSET $3 LIMIT $4"#,
        id,
        query.status.map(RowStatus::as_str),
        i64::from(offset),
        i64::from(limit)
    )
    .fetch_all(pool)
    .await?;
    let mut page = Vec::with_capacity(rows.len());
    for row in rows {
        // A row that does not state its currency shows the stored one.
        let currency = row.currency.as_deref().or(row.old_currency.as_deref());
        let changes = row
            .changed
            .unwrap_or_default()
            .iter()
            .filter_map(|field| {
                let (field, old, new) = match field.as_str() {
                    "name" => (Field::Name, row.old_name.clone(), row.name.clone()),
                    "expire_date" => (
                        Field::ExpireDate,
                        row.old_expires_on.map(|date| date.to_string()),
                        row.expires_on.map(|date| date.to_string()),
                    ),
                    "price" => (
                        Field::Price,
                        row.old_price_minor.map(|minor| minor.to_string()),
                        row.price_minor.map(|minor| minor.to_string()),
                    ),
                    "currency" => (
                        Field::Currency,
                        row.old_currency.clone(),
                        row.currency.clone(),
                    ),
                    _ => return None,
                };
                Some(FieldChange { field, old, new })
            })
            .collect();
        page.push(ImportHostRow {
            sheet: row.sheet,
            row: u32::try_from(row.row_number).unwrap_or(0),
            name: row.name,
            ip: row.address,
            port: row.port.and_then(|port| u16::try_from(port).ok()),
            expire_date: row.expires_on,
            price: money(row.price_minor, currency),
            problems: problems_of(row.problems)?,
            status: RowStatus::parse(&row.status)?,
            changes,
        });
    }
    Ok(HostRowPage {
        total: summary
            .hosts
            .of(query.status, summary.parsed.hosts.total_rows),
        offset,
        rows: page,
    })
}

/// A page of `AKUN` rows of a preview.
pub async fn account_sales(
    pool: &PgPool,
    id: Uuid,
    query: &RowQuery,
) -> Result<AccountSaleRowPage, MonitoringError> {
    let mut conn = pool.acquire().await?;
    let preview = stored(&mut conn, id).await?;
    drop(conn);
    account_sale_page(pool, id, &preview.summary, query).await
}

async fn account_sale_page(
    pool: &PgPool,
    id: Uuid,
    summary: &StagedSummary,
    query: &RowQuery,
) -> Result<AccountSaleRowPage, MonitoringError> {
    let (offset, limit) = page_bounds(query);
    let rows = sqlx::query!(
        r#"SELECT sheet, row_number, sold_on, name, merchant, item_type, qty, price_minor, currency, problems, status
           FROM import_sale_row WHERE import_id = $1 AND ($2::text IS NULL OR status = $2)
           ORDER BY seq OFFSET $3 LIMIT $4"#,
        id,
        query.status.map(RowStatus::as_str),
        i64::from(offset),
        i64::from(limit)
    )
    .fetch_all(pool)
    .await?;
    let mut page = Vec::with_capacity(rows.len());
    for row in rows {
        page.push(ImportAccountSaleRow {
            sheet: row.sheet,
            row: u32::try_from(row.row_number).unwrap_or(0),
            sold_at: row.sold_on,
            name: row.name,
            merchant: row.merchant,
            account_type: row.item_type,
            qty: row.qty.and_then(|qty| u32::try_from(qty).ok()),
            price: money(row.price_minor, row.currency.as_deref()),
            problems: problems_of(row.problems)?,
            status: RowStatus::parse(&row.status)?,
        });
    }
    Ok(AccountSaleRowPage {
        total: summary
            .account_sales
            .of(query.status, summary.parsed.account_sales.total_rows),
        offset,
        rows: page,
    })
}

// ---------------------------------------------------------------------------
// Closing a preview

/// Discards a preview and its rows.
pub async fn cancel(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<ClosedImport<()>, MonitoringError> {
    let row = sqlx::query!(
        "DELETE FROM import_preview WHERE id = $1 AND complete RETURNING file_name, summary",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(MonitoringError::NotFound("no such import"))?;
    Ok(ClosedImport {
        file_name: row.file_name,
        summary: decode(row.summary)?,
        outcome: (),
    })
}

/// Writes the preview's valid rows; the preview is used up. In the
/// caller's transaction, so it all happens or nothing does. Rows are
/// matched against the database again here (it may have changed since the
/// preview): a known host gets only the values the row has (a blank cell
/// keeps the stored value), a new one is added with its sale, and account
/// sales already in the book are skipped unless `include_duplicates`.
pub async fn confirm(
    conn: &mut PgConnection,
    id: Uuid,
    include_duplicates: bool,
    today: NaiveDate,
) -> Result<ClosedImport<ImportResult>, MonitoringError> {
    // Locked: a second confirm (on any replica) waits, then finds nothing.
    let preview = sqlx::query!(
        "SELECT file_name, summary FROM import_preview WHERE id = $1 AND complete AND expires_at > now() FOR UPDATE",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(MonitoringError::NotFound("no such import, or it expired"))?;
    let summary = decode(preview.summary)?;
    let mut result = ImportResult {
        rows_skipped: u64::from(summary.hosts.invalid) + u64::from(summary.account_sales.invalid),
        ..ImportResult::default()
    };

    // The sorts below (a host listed twice, the new hosts in file order)
    // hold ~100,000 rows: in memory they take a fraction of what spilling
    // to disk at the default 4 MB does.
    sqlx::query("SET LOCAL work_mem = '64MB'")
        .execute(&mut *conn)
        .await?;
    // One statement: the file's hosts are picked once (a host listed twice:
    // the lower row wins, as if the rows were applied in order), the known
    // ones get the row's values, the new ones are added, public or not as
    // the shop's setting says, their first checks spread over the interval,
    // with their sales. Every part sees the hosts as they were before it,
    // and an update never changes a host's identity, so a host is either
    // updated or created, never both; no id list travels to the client.
    let written = sqlx::query!(
        r#"WITH r AS (
               -- Byte order ("C") groups the same rows as the database's
               -- collation and sorts them without a locale's comparisons.
               SELECT DISTINCT ON (lower(btrim(name)) COLLATE "C", address COLLATE "C", port)
                      name, address, port, expires_on, price_minor, currency, seq
               FROM import_host_row WHERE import_id = $1 AND problems IS NULL
               ORDER BY lower(btrim(name)) COLLATE "C", address COLLATE "C", port, seq DESC),
           updated AS (
               UPDATE monitored_host h SET
                   name = r.name,
                   -- As a hand edit: the expired flag resets only when the
                   -- date moves to today or later (another past date is not
                   -- a renewal and is not announced again).
                   expiry_notified = CASE WHEN r.expires_on IS DISTINCT FROM h.expires_on AND r.expires_on >= $2 THEN false ELSE h.expiry_notified END,
                   expiry_warned_days = CASE WHEN r.expires_on IS DISTINCT FROM h.expires_on AND r.expires_on >= $2 THEN NULL ELSE h.expiry_warned_days END,
                   expires_on = coalesce(r.expires_on, h.expires_on),
                   price_minor = coalesce(r.price_minor, h.price_minor),
                   currency = coalesce(r.currency, h.currency)
               FROM r
               WHERE lower(btrim(h.name)) = lower(btrim(r.name)) AND h.address = r.address AND h.port = r.port
                 AND (r.name <> h.name
                      OR (r.expires_on IS NOT NULL AND r.expires_on IS DISTINCT FROM h.expires_on)
                      OR (r.price_minor IS NOT NULL AND r.price_minor IS DISTINCT FROM h.price_minor)
                      OR (r.currency IS NOT NULL AND r.currency <> h.currency))
               RETURNING 1),
           created AS (
               INSERT INTO monitored_host (name, address, port, expires_on, price_minor, currency, is_public, next_check_at)
               SELECT name, address, port, expires_on, price_minor, coalesce(currency, 'IDR'),
                      coalesce((SELECT new_hosts_public FROM monitor_settings), true),
                      -- As SPREAD_FIRST_CHECK, by the row's place in the file.
                      now() + make_interval(secs => ((seq * 0.6180339887::float8) - floor(seq * 0.6180339887::float8)) * $3::int)
               FROM r
               WHERE NOT EXISTS (
                   SELECT 1 FROM monitored_host h
                   WHERE lower(btrim(h.name)) = lower(btrim(r.name)) AND h.address = r.address AND h.port = r.port)
               ORDER BY seq
               RETURNING id, name, price_minor, currency),
           sold AS (
               INSERT INTO sale (kind, sold_on, name, item_type, qty, price_minor, currency, host_id)
               SELECT 'host', shop_today(), name, 'vps', 1, coalesce(price_minor, 0), currency, id
               FROM created ORDER BY id
               RETURNING 1)
           SELECT (SELECT count(*) FROM r) AS "distinct_hosts!", (SELECT count(*) FROM updated) AS "updated!",
                  (SELECT count(*) FROM created) AS "created!", (SELECT count(*) FROM sold) AS "sales!""#,
        id,
        today,
        crate::bounds::DEFAULT_CHECK_INTERVAL_SECONDS
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|error| match MonitoringError::from_write(error) {
        // Someone else added one of the file's hosts (by hand, by another
        // confirm) after this statement began: nothing is written, the
        // preview stays, and confirming again finds that host and updates it.
        // (`ON CONFLICT DO NOTHING` would instead cost every row a
        // speculative insertion: 0.4–0.7 s of a 100,000-host confirm, for a race.)
        MonitoringError::Duplicate => MonitoringError::Refused {
            code: "hosts_changed",
            message: "a host in the file was added while the import was being confirmed: nothing was \
                      written, confirm again"
                .to_owned(),
        },
        other => other,
    })?;
    let count = |value: i64| u64::try_from(value).unwrap_or(0);
    result.hosts_updated = count(written.updated);
    result.hosts_created = count(written.created);
    result.hosts_unchanged =
        count(written.distinct_hosts).saturating_sub(result.hosts_created + result.hosts_updated);
    result.host_sales_recorded = count(written.sales);

    let imported = sales::record_imported_account_sales(conn, id, include_duplicates).await?;
    result.account_sales_created = imported.created;
    result.account_sales_duplicates_skipped = imported.duplicates_skipped;

    sqlx::query!("DELETE FROM import_preview WHERE id = $1", id)
        .execute(&mut *conn)
        .await?;
    // A large import changes the tables' size by orders of magnitude before
    // autovacuum notices: without fresh statistics the next preview's
    // matching (a join per batch) can be planned as if the tables were
    // empty, a nested loop over every host for every row. ANALYZE of the
    // grown tables takes a few hundred milliseconds: a job does it right
    // after the commit instead of the user waiting for it.
    if result.hosts_created + result.account_sales_created >= ANALYZE_AFTER_ROWS {
        jobs::enqueue(
            conn,
            jobs::NewJob::new(ANALYZE_JOB, &id)?.dedupe_key(format!("{ANALYZE_JOB}:{id}")),
        )
        .await?;
    }
    Ok(ClosedImport {
        file_name: preview.file_name,
        summary,
        outcome: result,
    })
}

// ---------------------------------------------------------------------------
// Export

/// Every host and every account sale as an `.xlsx` that imports back to
/// the same values.
pub async fn export(pool: &PgPool) -> Result<Vec<u8>, MonitoringError> {
    let hosts = sqlx::query!("SELECT name, address, port, expires_on, price_minor, currency FROM monitored_host ORDER BY name, id").fetch_all(pool).await?;
    let sales = sqlx::query!("SELECT sold_on, name, merchant, item_type, qty, price_minor, currency FROM sale WHERE kind = 'account' ORDER BY sold_on, id")
        .fetch_all(pool)
        .await?;
    let text = |value: &str| ShortText::parse(value).ok();
    let currency = |code: &str| Currency::from_str(code).unwrap_or(Currency::Idr);
    let host_rows: Vec<HostExportRow> = hosts
        .into_iter()
        .filter_map(|row| {
            Some(HostExportRow {
                name: text(&row.name)?,
                ip: Host::parse(&row.address).ok()?,
                port: Port::new(u16::try_from(row.port).ok()?).ok()?,
                expire_date: row.expires_on,
                price: row
                    .price_minor
                    .map(|minor| Money::new(minor, currency(&row.currency))),
            })
        })
        .collect();
    let sale_rows: Vec<AccountSaleExportRow> = sales
        .into_iter()
        .filter_map(|row| {
            Some(AccountSaleExportRow {
                sold_at: row.sold_on,
                name: text(&row.name)?,
                merchant: text(&row.merchant),
                account_type: text(&row.item_type),
                qty: Quantity::new(u32::try_from(row.qty).ok()?).ok()?,
                price: Some(Money::new(row.price_minor, currency(&row.currency))),
            })
        })
        .collect();
    tokio::task::spawn_blocking(move || spreadsheet::write_workbook(&host_rows, &sale_rows))
        .await
        .map_err(|error| MonitoringError::Internal(format!("the export writer stopped: {error}")))?
        .map_err(|error| MonitoringError::Internal(format!("writing the workbook failed: {error}")))
}
