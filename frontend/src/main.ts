import { createApp, watchEffect } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { i18n } from './i18n'
import { createAppRouter, isProtected, loginLocation } from './router'
import { useSessionStore } from './stores/session'
import { applyColorTokens } from './theme'
import './styles.css'

// The colour tokens as CSS variables, before anything renders.
applyColorTokens(document.documentElement)

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(i18n)

const router = createAppRouter()
app.use(router)

// The session: restored from the stored refresh token before the first navigation
// (the sessionReady guard waits for it); when a refresh is refused mid-session, a page
// that needs sign-in sends the user to /login and back afterwards.
const session = useSessionStore(pinia)
session.onExpired(() => {
  const current = router.currentRoute.value
  if (isProtected(current)) void router.push(loginLocation(current))
})
void session.restore()

// Browser tab title follows the page and the language.
watchEffect(() => {
  const { t } = i18n.global
  const key = router.currentRoute.value.meta.titleKey
  const brand = t('app.brand')
  document.title = key ? `${t(key)} · ${brand}` : brand
})

app.mount('#app')
