/**
 * The shell: sign-in gate, navigation and the page for the current path. The session (and
 * its role) is re-checked against the API when the tab reloads with a stored token.
 */
import { useEffect, useState } from 'preact/hooks'
import { can, forgetToken, openSession, type Session, storedToken } from './api/session'
import { Link } from './components/link'
import { ThemeToggle } from './components/theme-toggle'
import { Alerts } from './pages/alerts'
import { Events } from './pages/events'
import { Login } from './pages/login'
import { NotFound } from './pages/not-found'
import { Overview } from './pages/overview'
import { Policies } from './pages/policies'
import { SiteDetail } from './pages/site-detail'
import { Sites } from './pages/sites'
import { Tokens } from './pages/tokens'
import { WebhookDetail } from './pages/webhook-detail'
import { Webhooks } from './pages/webhooks'
import { match, navigate, useLocation } from './router'
import { SessionContext } from './session-context'

const NAV = [
  { href: '/', label: 'Overview', role: 'viewer' },
  { href: '/sites', label: 'Sites', role: 'viewer' },
  { href: '/policies', label: 'Policies', role: 'viewer' },
  { href: '/events', label: 'Events', role: 'viewer' },
  { href: '/alerts', label: 'Alerts', role: 'viewer' },
  { href: '/webhooks', label: 'Webhooks', role: 'viewer' },
  { href: '/tokens', label: 'API tokens', role: 'admin' },
] as const

function Page({ path }: { path: string }) {
  if (match('/', path)) return <Overview />
  if (match('/sites', path)) return <Sites />
  const site = match('/sites/:id', path)
  if (site) return <SiteDetail siteId={site['id']!} />
  if (match('/policies', path)) return <Policies />
  if (match('/events', path)) return <Events />
  if (match('/alerts', path)) return <Alerts />
  if (match('/webhooks', path)) return <Webhooks />
  const webhook = match('/webhooks/:id', path)
  if (webhook) return <WebhookDetail webhookId={webhook['id']!} />
  if (match('/tokens', path)) return <Tokens />
  return <NotFound />
}

const isCurrent = (href: string, path: string) =>
  href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`)

export function App() {
  const [session, setSession] = useState<Session | null>(null)
  const [checking, setChecking] = useState(() => storedToken() !== null)
  const { path } = useLocation()

  const signOut = () => {
    forgetToken()
    setSession(null)
  }

  useEffect(() => {
    const token = storedToken()
    if (!token) return
    openSession(token, signOut)
      .then(setSession)
      .catch(() => forgetToken())
      .finally(() => setChecking(false))
  }, [])

  // Move focus to the new page's heading, so keyboard and screen-reader users follow along.
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus()
  }, [path])

  if (checking) return <p class="loading">Loading…</p>
  if (!session) return <Login onSession={setSession} onUnauthenticated={signOut} />

  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          <span class="logo" aria-hidden="true">
            ◈
          </span>{' '}
          Patronus
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => can(session, item.role)).map((item) => (
              <li key={item.href}>
                <Link
                  href={item.href}
                  aria-current={isCurrent(item.href, path) ? 'page' : undefined}
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="top-actions">
          <span class="role" title="The role of this API token">
            {session.role}
          </span>
          <ThemeToggle />
          <button
            type="button"
            class="ghost"
            onClick={() => {
              signOut()
              navigate('/')
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Page path={path} />
      </main>
    </SessionContext.Provider>
  )
}
