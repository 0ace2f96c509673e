import { shallowRef } from 'vue'
import { api as defaultApi, type ApiClient } from '../api/client'
import { deleteTolerating404, unwrap } from '../api/unwrap'
import type { components } from '../api/schema'
import { enumMembers } from '../api/enums'

export type ImportResult = components['schemas']['ImportResult']

/*
 * The preview of an uploaded workbook, as the OpenAPI document types it: the summary (rows per
 * sheet from the parser, and per status from the database) and pages of rows, each with its
 * status (`new`, `update` with its changes, `unchanged`, `duplicate`, `invalid`).
 */
type Schemas = components['schemas']
export type ImportField = Schemas['Field']
export type RowProblemCode = Schemas['ProblemCode']
export type RowProblem = Schemas['RowProblem']
export type PreviewMoney = Schemas['PreviewPrice']
export type HostRow = Schemas['ImportHostRow']
export type AccountSaleRow = Schemas['ImportAccountSaleRow']
export type HostRowPage = Schemas['HostRowPage']
export type AccountSaleRowPage = Schemas['AccountSaleRowPage']
export type RowStatus = Schemas['RowStatus']
export type StatusCounts = Schemas['StatusCounts']
export type FieldChange = Schemas['FieldChange']
export type RowCounts = Schemas['RowCounts']
export type SheetKind = Schemas['SheetKind']
export type SheetSummary = Schemas['SheetSummary']
export type IgnoredSheetReason = Schemas['IgnoredSheetReason']
export type IgnoredSheet = Schemas['IgnoredSheet']
export type ImportSummary = Schemas['ImportSummary']
export type StagedImport = Schemas['StagedImport']

/** Which rows a page lists: every row, or one status (`invalid`: only rows with problems). */
export type RowFilter = RowStatus | 'all'

/** Rows per page of each preview table (the server answers 50 by default). */
export const PAGE_SIZE = 50

/** Every row problem code of the generated schema, for the translations. */
export const ROW_PROBLEM_CODES = enumMembers<RowProblemCode>()([
  'missing',
  'missing_column',
  'invalid_ip',
  'invalid_port',
  'invalid_date',
  'negative_price',
  'invalid_price',
  'unknown_currency',
  'currency_mismatch',
  'currency_required',
  'invalid_qty',
  'too_long',
  'invalid_text',
  'address_not_allowed',
])

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
 * written; the answer is the summary and the first page of each kind), page through its rows by
 * status, confirm it (valid rows written, duplicates only when asked) or cancel it. The rows stay
 * on the server: a 100,000-row preview costs the browser one page at a time.
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
    staged.value = unwrap(data, response)
    result.value = null
    return staged.value
  }

  async function load(id: string): Promise<StagedImport> {
    const { data, response } = await api.GET('/api/v1/monitoring/imports/{id}', { params: { path: { id } } })
    staged.value = unwrap(data, response)
    return staged.value
  }

  const pageQuery = (filter: RowFilter, page: number) => ({
    ...(filter === 'all' ? {} : { status: filter }),
    offset: (page - 1) * PAGE_SIZE,
    limit: PAGE_SIZE,
  })

  /** One page (1-based) of the preview's VPS rows. */
  async function hostPage(id: string, filter: RowFilter, page: number): Promise<HostRowPage> {
    const { data, response } = await api.GET('/api/v1/monitoring/imports/{id}/hosts', {
      params: { path: { id }, query: pageQuery(filter, page) },
    })
    return unwrap(data, response)
  }

  /** One page (1-based) of the preview's AKUN rows. */
  async function salePage(id: string, filter: RowFilter, page: number): Promise<AccountSaleRowPage> {
    const { data, response } = await api.GET('/api/v1/monitoring/imports/{id}/account-sales', {
      params: { path: { id }, query: pageQuery(filter, page) },
    })
    return unwrap(data, response)
  }

  async function confirm(id: string, includeDuplicates = false): Promise<ImportResult> {
    const { data, response } = await api.POST('/api/v1/monitoring/imports/{id}/confirm', {
      params: { path: { id }, query: includeDuplicates ? { include_duplicates: true } : {} },
    })
    result.value = unwrap(data, response)
    staged.value = null
    return result.value
  }

  /** Discard the preview; one that is already gone (404: expired, confirmed elsewhere) is fine. */
  async function cancel(id: string): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/monitoring/imports/{id}', { params: { path: { id } } }))
    staged.value = null
  }

  function reset() {
    staged.value = null
    result.value = null
  }

  return { staged, result, upload, load, hostPage, salePage, confirm, cancel, reset }
}
