import type { HostDetail, MonitoredHost } from '../composables/useHosts'
import type { AccountSaleRow, HostRow, ImportResult, ImportSummary, RowStatus, StagedImport, StatusCounts } from '../composables/useImport'
import type { MonthlyTotal, Sale } from '../composables/useSales'
import type { PublicHostStatus, StatusPage } from '../composables/useStatusPage'

/** Fixtures shaped like the monitoring and sales API answers (and preview.rs for the preview). */
export function monitoredHost(id: number, extra: Partial<MonitoredHost> = {}): MonitoredHost {
  return {
    id,
    name: `VPS ${id}`,
    address: `203.0.113.${id}`,
    port: 3389,
    expires_on: '2025-07-01',
    days_left: 30,
    price_minor: 150000,
    currency: 'IDR',
    notes: '',
    customer_id: null,
    customer_email: null,
    service_id: null,
    is_public: false,
    check_interval_seconds: 300,
    failures_before_down: 2,
    renotify_minutes: null,
    status: 'up',
    last_checked_at: new Date(Date.now() - 12_000).toISOString(),
    last_latency_ms: 42,
    last_error: null,
    status_changed_at: '2025-05-01T02:00:00Z',
    in_maintenance: false,
    created_at: '2025-05-01T01:00:00Z',
    ...extra,
  }
}

export function hostDetail(host: MonitoredHost, extra: Partial<HostDetail> = {}): HostDetail {
  return {
    host,
    uptime: { last_24h: 100, last_7d: 99.5, last_30d: null },
    changes: [
      { from_status: 'pending', to_status: 'up', reason: null, at: '2025-05-01T02:00:00Z' },
      { from_status: 'up', to_status: 'down', reason: 'connection refused', at: '2025-05-02T03:00:00Z' },
    ],
    maintenance: [],
    ...extra,
  }
}

export function publicHost(name: string, extra: Partial<PublicHostStatus> = {}): PublicHostStatus {
  return {
    name,
    status: 'up',
    last_checked_at: new Date(Date.now() - 20_000).toISOString(),
    response_time_ms: 18,
    days_left: 40,
    expiring: false,
    expired: false,
    in_maintenance: false,
    uptime: { last_24h: 100, last_7d: 99.9, last_30d: 98.75 },
    ...extra,
  }
}

export function statusPage(hosts: PublicHostStatus[]): StatusPage {
  return { hosts, generated_at: new Date().toISOString() }
}

export function sale(id: number, extra: Partial<Sale> = {}): Sale {
  return {
    id,
    kind: 'account',
    sold_on: '2025-05-03',
    name: `Netflix ${id}`,
    merchant: 'Shopee',
    item_type: 'netflix',
    qty: 1,
    price_minor: 50000,
    currency: 'IDR',
    host_id: null,
    created_at: '2025-05-03T04:00:00Z',
    ...extra,
  }
}

export function monthlyTotal(month: string, currency: string, amount: number, extra: Partial<MonthlyTotal> = {}): MonthlyTotal {
  return { month, currency, amount_minor: amount, sales: 1, quantity: 1, ...extra }
}

export function hostRow(row: number, extra: Partial<HostRow> = {}): HostRow {
  return {
    sheet: 'Data VPS',
    row,
    name: `VPS ${row}`,
    ip: `192.0.2.${row}`,
    port: 22,
    expire_date: '2026-01-31',
    price: { minor: 150000, currency: 'IDR' },
    problems: [],
    status: extra.problems?.length ? 'invalid' : 'new',
    changes: [],
    ...extra,
  }
}

export function accountRow(row: number, extra: Partial<AccountSaleRow> = {}): AccountSaleRow {
  return {
    sheet: 'AKUN',
    row,
    sold_at: '2025-05-03',
    name: `Spotify ${row}`,
    merchant: 'Tokopedia',
    type: 'spotify',
    qty: 1,
    price: { minor: 25000, currency: 'IDR' },
    problems: [],
    status: extra.problems?.length ? 'invalid' : 'new',
    ...extra,
  }
}

/** Every row of a preview with the parser's summary (the server keeps it and answers by page). */
export interface ImportPreview {
  summary: ImportSummary
  hosts: HostRow[]
  account_sales: AccountSaleRow[]
}

/** A preview whose summary counts what `hosts` and `accountSales` hold. */
export function importPreview(hosts: HostRow[], accountSales: AccountSaleRow[], extra: Partial<ImportPreview['summary']> = {}): ImportPreview {
  const counts = (rows: { problems: unknown[] }[]) => {
    const bad = rows.filter((r) => r.problems.length > 0).length
    return { total_rows: rows.length, valid_rows: rows.length - bad, rows_with_problems: bad }
  }
  return {
    summary: {
      hosts: counts(hosts),
      account_sales: counts(accountSales),
      sheets: [
        { name: 'Data VPS', kind: 'hosts', header_row: 1, missing_columns: [], ignored_headers: ['Catatan'], rows: counts(hosts) },
        { name: 'AKUN', kind: 'account_sales', header_row: 1, missing_columns: [], ignored_headers: [], rows: counts(accountSales) },
      ],
      ignored_sheets: [{ name: 'Ringkasan', reason: 'unrecognised_name' }],
      ...extra,
    },
    hosts,
    account_sales: accountSales,
  }
}

/** Rows of one kind per status, as the server counts them. */
function statusCounts(rows: { status: RowStatus }[]): StatusCounts {
  const counts: StatusCounts = { new: 0, update: 0, unchanged: 0, duplicate: 0, invalid: 0 }
  for (const row of rows) counts[row.status] += 1
  return counts
}

/** The upload's answer for this preview: the summary and the first page of each kind. */
export function stagedImport(preview: ImportPreview, extra: Partial<StagedImport> = {}): StagedImport {
  return {
    id: '0196f7a2-3c4d-7e5f-8a9b-0c1d2e3f4a5b',
    file_name: 'pelanggan.xlsx',
    expires_at: new Date(Date.now() + 3600_000).toISOString(),
    summary: { parsed: preview.summary, hosts: statusCounts(preview.hosts), account_sales: statusCounts(preview.account_sales) },
    hosts: { total: preview.hosts.length, offset: 0, rows: preview.hosts.slice(0, 50) },
    account_sales: { total: preview.account_sales.length, offset: 0, rows: preview.account_sales.slice(0, 50) },
    ...extra,
  }
}

export function importResult(extra: Partial<ImportResult> = {}): ImportResult {
  return {
    hosts_created: 2,
    hosts_updated: 0,
    hosts_unchanged: 0,
    host_sales_recorded: 2,
    account_sales_created: 1,
    account_sales_duplicates_skipped: 0,
    rows_skipped: 4,
    ...extra,
  }
}
