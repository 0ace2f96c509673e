// Generated from openapi/openapi.json by scripts/limits.mjs (`npm run gen:api`); do not edit.
// Every field limit the server enforces on a request body, per schema and field.

export const LIMITS = {
  AcceptInvitationRequest: {
    name: { maxLength: 200 },
    password: { minLength: 10, maxLength: 128 },
  },
  ChangePasswordRequest: {
    new_password: { minLength: 10, maxLength: 128 },
  },
  CreateApiTokenRequest: {
    name: { maxLength: 100 },
  },
  HostInput: {
    check_interval_seconds: { minimum: 30, maximum: 86400, default: 300 },
    failures_before_down: { minimum: 1, maximum: 10, default: 2 },
    name: { maxLength: 200 },
    notes: { maxLength: 2000 },
    port: { minimum: 1, maximum: 65535 },
    price_minor: { minimum: 0, maximum: 1000000000000 },
    renotify_minutes: { minimum: 5, maximum: 10080 },
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
  RegisterRequest: {
    name: { maxLength: 200 },
    password: { minLength: 10, maxLength: 128 },
  },
  ResetPasswordRequest: {
    new_password: { minLength: 10, maxLength: 128 },
  },
  SaleInput: {
    item_type: { maxLength: 100 },
    merchant: { maxLength: 200 },
    name: { maxLength: 200 },
    price_minor: { minimum: 0, maximum: 1000000000000 },
    qty: { minimum: 1, maximum: 10000 },
  },
  TemplateText: {
    body: { maxLength: 8000 },
    subject: { maxLength: 200 },
  },
} as const
