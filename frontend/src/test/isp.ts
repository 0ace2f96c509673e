import type { CustomerImport, CustomerImportRow, CustomerMarker, IspCustomer, IspRouter, IspSyncReport, RouterTest, SyncLogEntry } from '../composables/useIsp'
import { statusLine } from '../composables/useIsp'

/** Fixtures shaped like the ISP API's answers (`/api/v1/isp/**`). */
export function ispRouter(id: number, extra: Partial<IspRouter> = {}): IspRouter {
  return {
    id,
    name: `Core ${id}`,
    host: '192.168.88.1',
    port: 8728,
    transport: 'api',
    tls_fingerprint: null,
    username: 'juragan',
    password_masked: '••••pass',
    sync_enabled: true,
    sync_interval_seconds: 120,
    isolation_mode: 'off',
    isolation_profile: null,
    note: '',
    customers: 3,
    identity: 'Core-Sempu',
    version: '7.18.2 (stable)',
    last_sync_at: '2025-05-01T07:30:45Z',
    last_sync_ok: true,
    last_sync_message: 'Status updated: 5 active connections, 3 customers online',
    last_sync_duration_ms: 840,
    last_active_connections: 5,
    last_customers_online: 3,
    last_test_at: null,
    last_test_ok: null,
    last_test_message: null,
    next_sync_at: '2025-05-01T07:32:45Z',
    required_rights: 'read, api (write for isolation)',
    created_at: '2025-05-01T01:00:00Z',
    updated_at: '2025-05-01T01:00:00Z',
    ...extra,
  }
}

export function ispCustomer(id: number, extra: Partial<IspCustomer> = {}): IspCustomer {
  return {
    id,
    name: `Pelanggan ${id}`,
    pppoe_username: `pelanggan${id}`,
    address: 'Jl. Sempu 1',
    phone: '0812-3456-7890',
    latitude: -8.4 - id / 100,
    longitude: 112.7 + id / 100,
    note: '',
    connection: 'offline',
    connection_changed_at: null,
    last_seen_at: null,
    stale: false,
    isolated: false,
    isolated_at: null,
    product_id: 7,
    product_name: 'Internet 20 Mbps',
    router_id: 1,
    router_name: 'Core 1',
    service_id: null,
    service_status: null,
    session_address: null,
    session_caller_id: null,
    session_started_at: null,
    user_id: null,
    created_at: '2025-05-01T01:00:00Z',
    updated_at: '2025-05-01T01:00:00Z',
    ...extra,
  }
}

/** The markers of the customers that have coordinates. */
export function markersOf(customers: IspCustomer[]): CustomerMarker[] {
  return customers
    .filter((c) => c.latitude != null && c.longitude != null)
    .map((c) => ({
      id: c.id,
      name: c.name,
      pppoe_username: c.pppoe_username,
      latitude: c.latitude!,
      longitude: c.longitude!,
      connection: c.connection,
      stale: c.stale,
      isolated: c.isolated,
      router_id: c.router_id ?? null,
    }))
}

export function syncReport(extra: Partial<IspSyncReport> = {}): IspSyncReport {
  const report = {
    router_id: 1,
    ok: true,
    started_at: '2025-05-01T07:30:45Z',
    duration_ms: 840,
    fetch_ms: 700,
    update_ms: 40,
    active_connections: 5,
    customers_online: 3,
    went_online: 1,
    went_offline: 0,
    message: '',
    ...extra,
  }
  return { ...report, message: report.message || statusLine(report) }
}

export function routerTest(extra: Partial<RouterTest> = {}): RouterTest {
  return {
    ok: true,
    identity: 'Core-Sempu',
    version: '7.18.2 (stable)',
    board_name: 'RB4011iGS+',
    active_sessions: 5,
    latency_ms: 12,
    message: 'Connected: Core-Sempu, RouterOS 7.18.2 (stable), 5 active sessions',
    ...extra,
  }
}

export function syncLogEntry(id: number, extra: Partial<SyncLogEntry> = {}): SyncLogEntry {
  return {
    id,
    started_at: '2025-05-01T07:30:45Z',
    duration_ms: 840,
    trigger: 'schedule',
    ok: true,
    active_connections: 5,
    customers_online: 3,
    went_online: 1,
    went_offline: 0,
    message: 'Status updated: 5 active connections, 3 customers online',
    ...extra,
  }
}

export function importRow(row: number, extra: Partial<CustomerImportRow> = {}): CustomerImportRow {
  return {
    row,
    name: `Pelanggan ${row}`,
    pppoe_username: `pelanggan${row}`,
    address: 'Jl. Sempu',
    phone: '0812',
    latitude: -8.4,
    longitude: 112.7,
    plan: 'Internet 20 Mbps',
    router: 'Core 1',
    note: null,
    status: 'new',
    changes: [],
    problems: [],
    ...extra,
  }
}

export function customerImport(rows: CustomerImportRow[], extra: Partial<CustomerImport> = {}): CustomerImport {
  const count = (s: CustomerImportRow['status']) => rows.filter((r) => r.status === s).length
  return {
    id: '6f1c1c1e-4b4a-4b8e-9b1a-0a0b0c0d0e0f',
    file_name: 'pelanggan.xlsx',
    created_at: '2025-05-01T07:00:00Z',
    confirmed_at: null,
    matching: rows.length,
    summary: { total: rows.length, new: count('new'), update: count('update'), unchanged: count('unchanged'), invalid: count('invalid') },
    rows,
    ...extra,
  }
}
