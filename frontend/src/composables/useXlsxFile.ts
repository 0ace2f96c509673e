import { computed, ref, shallowRef } from 'vue'
import type { UploadFileInfo } from 'naive-ui'
import { ApiProblem } from '../api/client'
import type { useFormProblem } from './useFormProblem'
import { MAX_UPLOAD_BYTES, looksLikeXlsx } from './useImport'

/** A problem of our own, shown like the server's (same code, same words). */
function localProblem(code: string, status: number): ApiProblem {
  return new ApiProblem({ type: 'about:blank', title: code, status, code, detail: null })
}

/**
 * The one .xlsx an import page holds: the latest file dropped or picked in the upload box,
 * refused before it is sent when it is not an .xlsx or is larger than the server takes (the
 * refusal shows as `uploading`'s problem, worded as the server's would be).
 */
export function useXlsxFile(uploading: ReturnType<typeof useFormProblem>) {
  const file = shallowRef<File | null>(null)
  const fileList = ref<UploadFileInfo[]>([])
  const fileOk = computed(() => !!file.value && looksLikeXlsx(file.value.name) && file.value.size <= MAX_UPLOAD_BYTES)

  function onFiles(list: UploadFileInfo[]) {
    uploading.clear()
    const latest = list.at(-1)
    fileList.value = latest ? [latest] : []
    file.value = latest?.file ?? null
    if (!file.value) return
    if (!looksLikeXlsx(file.value.name)) uploading.problem.value = localProblem('not_xlsx', 422)
    else if (file.value.size > MAX_UPLOAD_BYTES) uploading.problem.value = localProblem('payload_too_large', 413)
  }

  function clearFile() {
    file.value = null
    fileList.value = []
    uploading.clear()
  }

  return { file, fileList, fileOk, onFiles, clearFile }
}
