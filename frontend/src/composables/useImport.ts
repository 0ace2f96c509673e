import { shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'

export type ImportResult = components['schemas']['ImportResult']

/*
 * The preview of an uploaded workbook, as the OpenAPI document types it (`ImportPreview` and
 * what it holds, from `crates/monitoring/src/spreadsheet/preview.rs`).
 */
type Schemas = components['schemas']
export type ImportField = Schemas['Field']
export type RowProblemCode = Schemas['ProblemCode']
export type RowProblem = Schemas['RowProblem']
export type PreviewMoney = Schemas['PreviewPrice']
export type HostRow = Schemas['HostRow']
export type AccountSaleRow = Schemas['AccountSaleRow']
export type RowCounts = Schemas['RowCounts']
export type SheetKind = Schemas['SheetKind']
export type SheetSummary = Schemas['SheetSummary']
export type IgnoredSheetReason = Schemas['IgnoredSheetReason']
export type IgnoredSheet = Schemas['IgnoredSheet']
export type ImportSummary = Schemas['ImportSummary']
export type ImportPreview = Schemas['ImportPreview']
export type StagedImport = Schemas['StagedImport']

/** Every row problem code, for the translations. */
export const ROW_PROBLEM_CODES: readonly RowProblemCode[] = [
  'missing',
  'missing_column',
  'invalid_ip',
  'invalid_port',
  'invalid_date',
  'negative_price',
  'invalid_price',
  'unknown_currency',
  'currency_mismatch',
  'invalid_qty',
  'too_long',
  'invalid_text',
]

/** The server's upload limit (`MAX_UPLOAD_BYTES`, 20 MiB): larger files are refused before sending. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** Problem codes of a refused upload, each with its own words in the locale files. */
export const UPLOAD_PROBLEM_CODES = [
  'payload_too_large',
  'unsupported_media_type',
  'not_xlsx',
  'unsafe_workbook',
  'corrupt_workbook',
  'no_known_sheets',
  'too_many_rows',
] as const

/** Only the .xlsx extension is offered; .xls and CSV are refused by name before upload. */
export function looksLikeXlsx(fileName: string): boolean {
  return /\.xlsx$/i.test(fileName.trim())
}

/** The row's problems for one field (to show next to its value). */
export function problemsOf(row: { problems: RowProblem[] }, field: ImportField): RowProblem[] {
  return row.problems.filter((p) => p.field === field)
}

/**
 * The Excel import (owner, sysadmin, business): upload the raw .xlsx for a preview (nothing
 * written), read a stored preview again, confirm it (valid rows written, the rest skipped)
 * or cancel it. The preview can hold 100,000 rows: it is kept in a shallow ref (no deep
 * reactivity over every row).
 */
export function useImport(api: ApiClient = defaultApi) {
  const staged = shallowRef<StagedImport | null>(null)
  const result = shallowRef<ImportResult | null>(null)

  async function upload(file: Blob, fileName: string): Promise<StagedImport> {
    // The raw bytes as the body: the spec types it as `number[]` (a `Vec<u8>` body).
    const bytes = new Uint8Array(await file.arrayBuffer())
    const { data, response } = await api.POST('/api/v1/monitoring/imports', {
      params: { query: { file_name: fileName } },
      body: bytes as unknown as number[],
      bodySerializer: (body: unknown) => body,
      headers: { 'Content-Type': XLSX_TYPE },
    })
    if (!data) throw ApiProblem.unexpected(response)
    staged.value = data as unknown as StagedImport
    result.value = null
    return staged.value
  }

  async function load(id: string): Promise<StagedImport> {
    const { data, response } = await api.GET('/api/v1/monitoring/imports/{id}', { params: { path: { id } } })
    if (!data) throw ApiProblem.unexpected(response)
    staged.value = data as unknown as StagedImport
    return staged.value
  }

  async function confirm(id: string): Promise<ImportResult> {
    const { data, response } = await api.POST('/api/v1/monitoring/imports/{id}/confirm', { params: { path: { id } } })
    if (!data) throw ApiProblem.unexpected(response)
    result.value = data
    staged.value = null
    return data
  }

  /** Discard the preview; one that is already gone (404: expired, confirmed elsewhere) is fine. */
  async function cancel(id: string): Promise<void> {
    try {
      const { response } = await api.DELETE('/api/v1/monitoring/imports/{id}', { params: { path: { id } } })
      if (!response.ok) throw ApiProblem.unexpected(response)
    } catch (e) {
      if (!(e instanceof ApiProblem) || e.status !== 404) throw e
    }
    staged.value = null
  }

  function reset() {
    staged.value = null
    result.value = null
  }

  return { staged, result, upload, load, confirm, cancel, reset }
}
