// jsdom has no layout: the router's scrollBehavior would log "Not implemented: window.scrollTo".
window.scrollTo = () => undefined
