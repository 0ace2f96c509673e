import type { GlobalThemeOverrides } from 'naive-ui'

/** Brand colour (indigo) on top of naive-ui defaults; system fonts only, nothing from a CDN. */
export const BRAND = {
  primary: '#4338ca',
  hover: '#4f46e5',
  pressed: '#3730a3',
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
