import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// The Rust API (`juragan serve`) listens here in `make dev`.
const backend = 'http://127.0.0.1:8080'
const proxied = ['/api', '/healthz', '/readyz', '/metrics', '/.well-known']

export default defineConfig({
  plugins: [vue()],
  define: {
    // vue-i18n esm-bundler feature flags: composition API only, no devtools in production.
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  server: {
    proxy: Object.fromEntries(proxied.map((path) => [path, { target: backend, changeOrigin: false }])),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.spec.ts'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
})
