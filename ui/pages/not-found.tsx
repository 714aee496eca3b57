import { Link } from '../components/link'

export function NotFound() {
  return (
    <section>
      <h1 tabIndex={-1}>Not found</h1>
      <p>
        There is no page here. <Link href="/">Back to the overview</Link>.
      </p>
    </section>
  )
}
