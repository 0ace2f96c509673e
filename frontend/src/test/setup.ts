// jsdom has no layout: the router's scrollBehavior would log "Not implemented: window.scrollTo".
window.scrollTo = () => undefined
// …nor element scrolling, which naive-ui's select menus call when they open.
if (!Element.prototype.scrollTo) Element.prototype.scrollTo = () => undefined
