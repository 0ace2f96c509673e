/** The areas in the header nav; labels are i18n keys. */
export interface NavItem {
  key: string
  labelKey: string
  to?: string
  /** Plain link that leaves the SPA (served by the backend). */
  href?: string
}

export const NAV_ITEMS: readonly NavItem[] = [
  { key: 'storefront', labelKey: 'nav.storefront', to: '/' },
  { key: 'client', labelKey: 'nav.client', to: '/client' },
  { key: 'staff', labelKey: 'nav.staff', to: '/staff' },
  { key: 'health', labelKey: 'nav.health', to: '/health' },
  { key: 'api-docs', labelKey: 'nav.apiDocs', href: '/api/docs/' },
]
