#!/usr/bin/env node
// Regenerates the typed API schema into a temp file and fails when it differs from
// the committed src/api/schema.d.ts (run `npm run gen:api` to update it).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readSpec, renderLimits } from './limits.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const spec = resolve(root, '../openapi/openapi.json')
const committed = resolve(root, 'src/api/schema.d.ts')

const require = createRequire(import.meta.url)
const pkgPath = require.resolve('openapi-typescript/package.json')
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'))
const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin['openapi-typescript']
const cli = join(dirname(pkgPath), bin)

const dir = mkdtempSync(join(tmpdir(), 'juragan-check-api-'))
const fresh = join(dir, 'schema.d.ts')
try {
  const run = spawnSync(process.execPath, [cli, spec, '-o', fresh], { cwd: root, encoding: 'utf8' })
  if (run.status !== 0) {
    process.stderr.write(run.stdout + run.stderr)
    console.error('check:api: openapi-typescript failed')
    process.exit(2)
  }
  const norm = (s) => s.replace(/\r\n/g, '\n')
  const want = norm(readFileSync(fresh, 'utf8'))
  let have
  try {
    have = norm(readFileSync(committed, 'utf8'))
  } catch {
    console.error(`check:api: ${committed} is missing; run \`npm run gen:api\``)
    process.exit(1)
  }
  if (want !== have) {
    const a = have.split('\n')
    const b = want.split('\n')
    const i = a.findIndex((line, k) => line !== b[k])
    const at = i === -1 ? Math.min(a.length, b.length) : i
    console.error('check:api: src/api/schema.d.ts is out of date with ../openapi/openapi.json')
    console.error(`  first difference at line ${at + 1}:`)
    console.error(`  committed: ${JSON.stringify(a[at] ?? '<end of file>')}`)
    console.error(`  generated: ${JSON.stringify(b[at] ?? '<end of file>')}`)
    console.error('  run `npm run gen:api` and commit the result')
    process.exit(1)
  }
  console.log('check:api: src/api/schema.d.ts is up to date')
  const limitsFile = resolve(root, 'src/api/limits.ts')
  let limits = ''
  try {
    limits = norm(readFileSync(limitsFile, 'utf8'))
  } catch {
    // reported below as out of date
  }
  if (limits !== renderLimits(readSpec(spec))) {
    console.error('check:api: src/api/limits.ts is out of date with ../openapi/openapi.json; run `npm run gen:api`')
    process.exit(1)
  }
  console.log('check:api: src/api/limits.ts is up to date')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
