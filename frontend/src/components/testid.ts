import type { HTMLAttributes, InputHTMLAttributes } from 'vue'
import type { ButtonProps } from 'naive-ui'

/**
 * naive-ui puts fall-through attributes on a wrapper; tests must type into the native
 * <input>, so inputs take their data-testid through `input-props`.
 */
export function inputTestid(id: string, extra: Record<string, unknown> = {}): InputHTMLAttributes {
  return { 'data-testid': id, ...extra } as InputHTMLAttributes
}

/** data-testid for the buttons naive-ui renders itself (NPopconfirm's confirm button). */
export function buttonTestid(id: string): ButtonProps {
  return { 'data-testid': id } as unknown as ButtonProps
}

/** data-testid for a rendered option (NDropdown `props`). */
export function attrsTestid(id: string): HTMLAttributes {
  return { 'data-testid': id } as HTMLAttributes
}
