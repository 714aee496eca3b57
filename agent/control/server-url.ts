/**
 * The agent's transport rule: the control plane is reached over https:// only. Nothing in
 * an answer is signed by the server (only the agent's requests are), so whoever can read
 * and change plain HTTP on the path would choose the site's peers, prefixes and the model
 * the root daemon loads. Plain http:// is allowed only when asked for explicitly
 * (`--insecure-http` on the CLI, `allowInsecureHttp` in the library), for labs and tests.
 */

/** The CLI flag that allows a plain-HTTP control plane; named in every refusal. */
export const INSECURE_HTTP_FLAG = '--insecure-http'

/** The server URL is plain http:// and plain HTTP was not allowed. */
export class InsecureServerUrlError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InsecureServerUrlError'
  }
}

export function isPlainHttp(serverUrl: string): boolean {
  return /^http:/i.test(serverUrl.trim())
}

/** The refusal's text: what is wrong, why it matters, and the flag that allows it anyway. */
export function insecureHttpMessage(serverUrl: string): string {
  return (
    `control plane ${serverUrl} is plain HTTP: anyone on the path could rewrite the ` +
    `desired state (peers, prefixes, model); use an https:// URL, or ${INSECURE_HTTP_FLAG} ` +
    'for a lab or test control plane'
  )
}

/** Throws InsecureServerUrlError for an http:// URL unless plain HTTP is allowed. */
export function checkServerUrl(serverUrl: string, allowInsecureHttp: boolean | undefined): void {
  if (isPlainHttp(serverUrl) && allowInsecureHttp !== true) {
    throw new InsecureServerUrlError(insecureHttpMessage(serverUrl))
  }
}
