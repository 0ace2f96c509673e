// Generated from openapi/openapi.json by scripts/limits.mjs (`npm run gen:api`); do not edit.
// Every field limit the server enforces on a request body, per schema and field.

export const LIMITS = {
  AcceptInvitationRequest: {
    name: { maxLength: 200 },
    password: { minLength: 10, maxLength: 128 },
  },
  ActionRequest: {
    code: { minLength: 6, maxLength: 6 },
    node: { minLength: 1, maxLength: 100 },
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
  CancellationRequest: {
    reason: { maxLength: 500 },
  },
  CategoryInput: {
    description_en: { maxLength: 300 },
    description_id: { maxLength: 300 },
    name_en: { maxLength: 120 },
    name_id: { maxLength: 120 },
    slug: { maxLength: 80 },
    sort_order: { minimum: -100000, maximum: 100000 },
  },
  ChangePasswordRequest: {
    new_password: { minLength: 10, maxLength: 128 },
  },
  CreateApiTokenRequest: {
    name: { maxLength: 100 },
  },
  CustomerGroupInput: {
    code: { maxLength: 40 },
    name: { maxLength: 80 },
  },
  CustomerInput: {
    address: { maxLength: 500 },
    latitude: { minimum: -90, maximum: 90 },
    longitude: { minimum: -180, maximum: 180 },
    name: { minLength: 1, maxLength: 200 },
    note: { maxLength: 2000 },
    phone: { maxLength: 32 },
    pppoe_username: { maxLength: 64 },
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
  IntegrationInput: {
    name: { minLength: 1, maxLength: 80 },
    secret: { minLength: 1, maxLength: 500 },
    username: { minLength: 1, maxLength: 120 },
  },
  InviteStaffRequest: {
    name: { maxLength: 200 },
  },
  LifecycleTerms: {
    late_fee_minor: { minimum: 0, maximum: 1000000000000 },
    renew_days_before: { minimum: 0, maximum: 60 },
    suspend_after_days: { minimum: 0, maximum: 365 },
    terminate_after_days: { minimum: 1, maximum: 730 },
  },
  ListingInput: {
    description_en: { maxLength: 20000 },
    description_id: { maxLength: 20000 },
    name_en: { maxLength: 120 },
    name_id: { maxLength: 120 },
    slug: { maxLength: 80 },
    sort_order: { minimum: -100000, maximum: 100000 },
    summary_en: { maxLength: 300 },
    summary_id: { maxLength: 300 },
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
  OsTemplateInput: {
    code: { maxLength: 60 },
    name: { maxLength: 80 },
    sort_order: { minimum: -100000, maximum: 100000 },
  },
  PageInput: {
    body_en: { maxLength: 100000 },
    body_id: { maxLength: 100000 },
    slug: { minLength: 1, maxLength: 80 },
    title_en: { maxLength: 200 },
    title_id: { maxLength: 200 },
  },
  PlanChangeRequest: {
    product_id: { minimum: 1 },
  },
  PoolInput: {
    name: { minLength: 1, maxLength: 80 },
    quarantine_hours: { minimum: 0, maximum: 8760 },
  },
  PreviewRequest: {
    markdown: { maxLength: 100000 },
  },
  RegionInput: {
    code: { maxLength: 40 },
    name: { maxLength: 80 },
    sort_order: { minimum: -100000, maximum: 100000 },
  },
  RegisterRequest: {
    name: { maxLength: 200 },
    password: { minLength: 10, maxLength: 128 },
  },
  ResetPasswordRequest: {
    new_password: { minLength: 10, maxLength: 128 },
  },
  RouterInput: {
    host: { minLength: 1, maxLength: 253 },
    isolation_profile: { maxLength: 64 },
    name: { minLength: 1, maxLength: 80 },
    note: { maxLength: 2000 },
    password: { minLength: 1, maxLength: 200 },
    port: { minimum: 1, maximum: 65535 },
    sync_interval_seconds: { minimum: 30, maximum: 86400 },
    username: { minLength: 1, maxLength: 120 },
  },
  SaleInput: {
    item_type: { maxLength: 100 },
    merchant: { maxLength: 200 },
    name: { maxLength: 200 },
    price_minor: { minimum: 0, maximum: 1000000000000 },
    qty: { minimum: 1, maximum: 10000 },
  },
  ServiceOverride: {
    reason: { minLength: 1, maxLength: 500 },
    suspend_after_days: { minimum: 0, maximum: 365 },
    terminate_after_days: { minimum: 1, maximum: 730 },
  },
  SpecInput: {
    addon_domains: { minimum: 0, maximum: 1000 },
    bandwidth_gb: { minimum: 1, maximum: 1000000 },
    cores: { minimum: 1, maximum: 256 },
    disk_gb: { minimum: 1, maximum: 65536 },
    disk_mb: { minimum: 1, maximum: 10485760 },
    download_mbps: { minimum: 1, maximum: 100000 },
    pppoe_profile: { maxLength: 64 },
    provider_sku: { maxLength: 64 },
    quota_mb: { minimum: 1, maximum: 10485760 },
    ram_mb: { minimum: 128, maximum: 4194304 },
    rate_limit_mbps: { minimum: 1, maximum: 100000 },
    terms_en: { maxLength: 10000 },
    terms_id: { maxLength: 10000 },
    upload_mbps: { minimum: 1, maximum: 100000 },
    validity_days: { minimum: 1, maximum: 366 },
    whm_package: { maxLength: 64 },
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
