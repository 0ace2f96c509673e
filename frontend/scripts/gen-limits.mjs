#!/usr/bin/env node
// Writes src/api/limits.ts from ../openapi/openapi.json (part of `npm run gen:api`).
import { writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readSpec, renderLimits } from './limits.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
writeFileSync(resolve(root, 'src/api/limits.ts'), renderLimits(readSpec(resolve(root, '../openapi/openapi.json'))))
