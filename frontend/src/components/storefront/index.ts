/**
 * Self-contained storefront blocks (each reads its own data, in the visitor's language, and
 * hides itself when there is nothing to show) for whoever assembles the home page.
 */
export { default as AnnouncementList } from './AnnouncementList.vue'
export { default as BannerCarousel } from './BannerCarousel.vue'
export { default as TestimonialList } from './TestimonialList.vue'
