/**
 * Starts Swagger UI on /docs (worker/routes/docs.ts). A file rather than an inline script so
 * the page runs under `script-src 'self'`; the document's URL comes from the page's
 * `data-url`. No online validator: it would call validator.swagger.io (and the CSP would
 * refuse it anyway).
 */
const root = document.getElementById('swagger-ui')
window.ui = window.SwaggerUIBundle({
  url: root.dataset.url,
  domNode: root,
  deepLinking: true,
  validatorUrl: null,
})
