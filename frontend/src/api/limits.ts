// Generated from openapi/openapi.json by scripts/limits.mjs (`npm run gen:api`); do not edit.
// Every field limit the server enforces, per schema and field.

export const LIMITS = {
  AcceptInvitationRequest: {
    name: { maxLength: 200 },
    password: { minLength: 10, maxLength: 128 },
  },
  AccountSaleRowPage: {
    offset: { minimum: 0 },
    total: { minimum: 0 },
  },
  ChangePasswordRequest: {
    new_password: { minLength: 10, maxLength: 128 },
  },
  CreateApiTokenRequest: {
    name: { maxLength: 100 },
  },
  HostInput: {
    check_interval_seconds: { minimum: 30, maximum: 86400 },
    failures_before_down: { minimum: 1, maximum: 10 },
    name: { maxLength: 200 },
    notes: { maxLength: 2000 },
    port: { minimum: 1, maximum: 65535 },
    price_minor: { minimum: 0, maximum: 1000000000000 },
    renotify_minutes: { minimum: 5, maximum: 10080 },
  },
  HostRowPage: {
    offset: { minimum: 0 },
    total: { minimum: 0 },
  },
  HostsPublicResult: {
    updated: { minimum: 0 },
  },
  ImportAccountSaleRow: {
    qty: { minimum: 0 },
    row: { minimum: 0 },
  },
  ImportHostRow: {
    port: { minimum: 0 },
    row: { minimum: 0 },
  },
  ImportResult: {
    account_sales_created: { minimum: 0 },
    account_sales_duplicates_skipped: { minimum: 0 },
    host_sales_recorded: { minimum: 0 },
    hosts_created: { minimum: 0 },
    hosts_unchanged: { minimum: 0 },
    hosts_updated: { minimum: 0 },
    rows_skipped: { minimum: 0 },
  },
  InviteStaffRequest: {
    name: { maxLength: 200 },
  },
  NewBroadcast: {
    body: { maxLength: 4096 },
    photo_url: { maxLength: 2000 },
    subject: { maxLength: 200 },
  },
  NewMaintenanceWindow: {
    reason: { maxLength: 500 },
  },
  NewStaffChat: {
    label: { maxLength: 100 },
  },
  OtpChallenge: {
    expires_in: { minimum: 0 },
    resend_after: { minimum: 0 },
  },
  Problem: {
    status: { minimum: 0 },
  },
  RegisterRequest: {
    name: { maxLength: 200 },
    password: { minLength: 10, maxLength: 128 },
  },
  ResetPasswordRequest: {
    new_password: { minLength: 10, maxLength: 128 },
  },
  RowCounts: {
    rows_with_problems: { minimum: 0 },
    total_rows: { minimum: 0 },
    valid_rows: { minimum: 0 },
  },
  SaleInput: {
    item_type: { maxLength: 100 },
    merchant: { maxLength: 200 },
    name: { maxLength: 200 },
    price_minor: { minimum: 0, maximum: 1000000000000 },
    qty: { minimum: 1, maximum: 10000 },
  },
  SheetSummary: {
    header_row: { minimum: 0 },
  },
  StatusCounts: {
    duplicate: { minimum: 0 },
    invalid: { minimum: 0 },
    new: { minimum: 0 },
    unchanged: { minimum: 0 },
    update: { minimum: 0 },
  },
  TemplateText: {
    body: { maxLength: 8000 },
    subject: { maxLength: 200 },
  },
  TokenPair: {
    expires_in: { minimum: 0 },
    refresh_expires_in: { minimum: 0 },
  },
} as const
