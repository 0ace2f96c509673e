// jsdom has no layout: the router's scrollBehavior would log "Not implemented: window.scrollTo".
window.scrollTo = () => undefined
// …nor element scrolling, which naive-ui's select menus call when they open.
if (!Element.prototype.scrollTo) Element.prototype.scrollTo = () => undefined
// …nor media queries, which naive-ui's virtual option lists read (a select of consistent width).
if (typeof window.matchMedia !== 'function') {
  Object.defineProperty(window, 'matchMedia', {
    configurable: true,
    value: (query: string) => ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false,
    }),
  })
}
