/** One column of a {@link StackTable}: its slot key, header (also the label of the cell on phones). */
export interface StackColumn {
  key: string
  label: string
  /** Right-aligned, no wrapping (amounts, counts, durations). */
  numeric?: boolean
  /** The row's buttons: as narrow as they allow. */
  actions?: boolean
  /** Extra class on every cell of the column. */
  class?: string
  /** data-testid on every cell of the column. */
  testid?: string
}
