import { describe, expect, it } from 'vitest'
import { applyColorTokens, COLORS, cssVariable, type ColorToken } from './theme'

/** Every stylesheet of the SPA, as text. */
const sources = import.meta.glob(['./**/*.vue', './**/*.css'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>
const styleOf = (text: string) => [...text.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((m) => m[1]).join('\n')
const styles = Object.entries(sources).map(([file, text]) => [file, file.endsWith('.css') ? text : styleOf(text)] as const)

describe('colour tokens', () => {
  it('name CSS variables after the token', () => {
    expect(cssVariable('textMuted')).toBe('--jg-text-muted')
    expect(cssVariable('primary')).toBe('--jg-primary')
  })

  it('are put on the root element', () => {
    const root = document.createElement('div')
    applyColorTokens(root)
    for (const [token, value] of Object.entries(COLORS)) expect(root.style.getPropertyValue(cssVariable(token as ColorToken))).toBe(value)
  })

  it('cover every variable the stylesheets use', () => {
    const defined = new Set(Object.keys(COLORS).map((t) => cssVariable(t as ColorToken)))
    const unknown = styles.flatMap(([file, css]) => [...css.matchAll(/var\((--jg-[a-z-]+)/g)].filter((m) => !defined.has(m[1]!)).map((m) => `${file}: ${m[1]}`))
    expect(unknown).toEqual([])
  })

  it('leave no colour written out in more than one file: a shared colour is a token', () => {
    const files = new Map<string, Set<string>>()
    for (const [file, css] of styles) {
      for (const m of css.matchAll(/#[0-9a-f]{3,8}\b/gi)) {
        const hex = m[0].toLowerCase()
        files.set(hex, (files.get(hex) ?? new Set()).add(file))
      }
    }
    const repeated = [...files].filter(([, where]) => where.size > 1).map(([hex, where]) => `${hex}: ${[...where].join(', ')}`)
    expect(repeated).toEqual([])
  })
})
