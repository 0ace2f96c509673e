import type { GlobalThemeOverrides } from 'naive-ui'

/**
 * The SPA's colours, named once. Stylesheets use them as CSS variables (`var(--jg-text-muted)`,
 * set on <html> by {@link applyColorTokens} before the app mounts); naive-ui's theme and the
 * few component props that take a colour read them from here. A page wanting a new colour adds
 * a token rather than a hex value.
 */
export const COLORS = {
  /** Brand indigo and its shades. */
  primary: '#4338ca',
  primaryHover: '#4f46e5',
  primaryPressed: '#3730a3',
  primaryDeep: '#312e81',
  primaryDeepest: '#1e1b4b',
  primaryLight: '#6366f1',
  primarySoft: '#eef2ff',
  /** Text: body, secondary, labels and hints, placeholders and "nothing here". */
  text: '#1f2329',
  textSecondary: '#4b5563',
  textMuted: '#6b7280',
  textFaint: '#9ca3af',
  /** Surfaces and lines. */
  pageBg: '#f6f7fb',
  surface: '#ffffff',
  border: '#e6e8ef',
  divider: '#eef0f4',
  /** States: UP / saved, warnings, DOWN / errors. */
  success: '#047857',
  warning: '#b45309',
  danger: '#b91c1c',
  dangerStrong: '#991b1b',
  dangerBright: '#dc2626',
  dangerSoft: '#fef6f6',
  /** A DOWN marker that must stand out on a light surface (status bars, alert edges). */
  dangerMark: '#f87171',
  /** ISP customers: the ONLINE badge and map marker, an isolated (isolir) customer's ring, the map without tiles. */
  online: '#16a34a',
  onlineSoft: '#dcfce7',
  isolated: '#7c3aed',
  mapBg: '#e8edf3',
} as const

export type ColorToken = keyof typeof COLORS

/** `primaryHover` → `--jg-primary-hover`. */
export function cssVariable(token: ColorToken): string {
  return `--jg-${token.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
}

/** Put every colour on `root` as a CSS variable (main.ts: the document's <html>). */
export function applyColorTokens(root: HTMLElement): void {
  for (const [token, value] of Object.entries(COLORS)) root.style.setProperty(cssVariable(token as ColorToken), value)
}

/** Brand colour (indigo) on top of naive-ui defaults; system fonts only, nothing from a CDN. */
export const BRAND = {
  primary: COLORS.primary,
  hover: COLORS.primaryHover,
  pressed: COLORS.primaryPressed,
} as const

export const themeOverrides: GlobalThemeOverrides = {
  common: {
    primaryColor: BRAND.primary,
    primaryColorHover: BRAND.hover,
    primaryColorPressed: BRAND.pressed,
    primaryColorSuppl: BRAND.hover,
    borderRadius: '6px',
    fontFamily:
      'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif',
  },
}
