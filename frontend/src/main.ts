import { createApp, watchEffect } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { i18n } from './i18n'
import { createAppRouter } from './router'
import './styles.css'

const app = createApp(App)
const router = createAppRouter()

app.use(createPinia())
app.use(i18n)
app.use(router)

// Browser tab title follows the page and the language.
watchEffect(() => {
  const { t } = i18n.global
  const key = router.currentRoute.value.meta.titleKey
  const brand = t('app.brand')
  document.title = key ? `${t(key)} · ${brand}` : brand
})

app.mount('#app')
