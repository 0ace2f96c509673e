// Renders src/api/limits.ts from the OpenAPI document: every field limit the server
// enforces (minLength, maxLength, minimum, maximum) and the default it takes, for every
// schema a request body names, so the forms check what the server checks without copying
// a number. Used by `gen:api` and `check:api`.
import { readFileSync } from 'node:fs'

const KEYS = ['minLength', 'maxLength', 'minimum', 'maximum', 'default']
const REF = '#/components/schemas/'

/** Names of the schemas request bodies refer to (what a client sends). */
function requestSchemas(spec) {
  const names = new Set()
  for (const item of Object.values(spec.paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const media of Object.values(operation?.requestBody?.content ?? {})) {
        const ref = media.schema?.$ref
        if (typeof ref === 'string' && ref.startsWith(REF)) names.add(ref.slice(REF.length))
      }
    }
  }
  return [...names].sort()
}

/** The limits of `spec` (a parsed OpenAPI document) as the text of limits.ts. */
export function renderLimits(spec) {
  const lines = [
    '// Generated from openapi/openapi.json by scripts/limits.mjs (`npm run gen:api`); do not edit.',
    '// Every field limit the server enforces on a request body, per schema and field.',
    '',
    'export const LIMITS = {',
  ]
  const schemas = spec.components?.schemas ?? {}
  for (const name of requestSchemas(spec)) {
    const properties = schemas[name]?.properties ?? {}
    const fields = []
    for (const field of Object.keys(properties).sort()) {
      const limits = KEYS.filter((key) => typeof properties[field][key] === 'number').map((key) => `${key}: ${properties[field][key]}`)
      if (limits.length) fields.push(`    ${field}: { ${limits.join(', ')} },`)
    }
    if (fields.length) lines.push(`  ${name}: {`, ...fields, '  },')
  }
  lines.push('} as const', '')
  return lines.join('\n')
}

export function readSpec(path) {
  return JSON.parse(readFileSync(path, 'utf8'))
}
