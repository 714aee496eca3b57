/** The control plane's release version, reported by /healthz and the OpenAPI document. */
export const APP_VERSION = '0.1.0'
