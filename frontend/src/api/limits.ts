// Generated from openapi/openapi.json by scripts/limits.mjs (`npm run gen:api`); do not edit.
// Every field limit the server enforces on a request body, per schema and field.

export const LIMITS = {
  AcceptInvitationRequest: {
    name: { maxLength: 200 },
    password: { minLength: 10, maxLength: 128 },
  },
  AnnouncementInput: {
    body_en: { maxLength: 100000 },
    body_id: { maxLength: 100000 },
    title_en: { maxLength: 200 },
    title_id: { maxLength: 200 },
  },
  BannerInput: {
    image_url: { maxLength: 2000 },
    link_url: { maxLength: 2000 },
    sort_order: { minimum: 0, maximum: 9999, default: 0 },
    title_en: { maxLength: 200 },
    title_id: { maxLength: 200 },
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
  PageInput: {
    body_en: { maxLength: 100000 },
    body_id: { maxLength: 100000 },
    slug: { minLength: 1, maxLength: 80 },
    title_en: { maxLength: 200 },
    title_id: { maxLength: 200 },
  },
  PreviewRequest: {
    markdown: { maxLength: 100000 },
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
  TestimonialInput: {
    author_name: { maxLength: 100 },
    author_role_en: { maxLength: 100 },
    author_role_id: { maxLength: 100 },
    quote_en: { maxLength: 2000 },
    quote_id: { maxLength: 2000 },
    rating: { minimum: 1, maximum: 5 },
    sort_order: { minimum: 0, maximum: 9999, default: 0 },
  },
} as const
