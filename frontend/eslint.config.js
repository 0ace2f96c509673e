// ESLint (flat config): typescript-eslint's and eslint-plugin-vue's recommended rules over
// the SPA, its unit tests, the browser journeys and the build scripts. Generated and built
// files are not ours to lint.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'

export default tseslint.config(
  { ignores: ['dist/**', 'test-results/**', 'node_modules/**', 'src/api/schema.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    files: ['src/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['e2e/**/*.mjs', 'scripts/**/*.mjs', '*.config.{js,ts}'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['**/*.spec.ts'],
    rules: {
      // Tests define small stub components next to the code under test.
      'vue/one-component-per-file': 'off',
    },
  },
  {
    rules: {
      // Layout only: templates keep one element per line up to the house's line length, as the Rust side does.
      'vue/max-attributes-per-line': 'off',
      // Layout only: short elements such as <h1>{{ title }}</h1> stay on one line.
      'vue/singleline-html-element-content-newline': 'off',
      // Unused names fail vue-tsc already (noUnusedLocals); `_x` marks an intentionally unused parameter.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
)
