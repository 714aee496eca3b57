import { useState } from 'preact/hooks'
import { placeErrors } from '../api/field-errors'
import { optionalNumber } from '../api/text-lists'
import type { Uplink } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { Field } from '../components/field'
import { useSession } from '../session-context'

const FIELDS = ['name', 'interface', 'endpoint', 'bandwidthMbps', 'costPerGb', 'priority'] as const

interface Props {
  siteId: string
  uplinks: Uplink[] | undefined
  canEdit: boolean
  onChange: () => void
}

/** A site's WAN uplinks (slot order) and a form to add one. */
export function UplinksPanel({ siteId, uplinks, canEdit, onChange }: Props) {
  const { api } = useSession()
  const [adding, setAdding] = useState(false)
  const [form, setForm] = useState({
    name: '',
    interface: '',
    endpoint: '',
    bandwidth: '',
    cost: '',
  })
  const [error, setError] = useState<unknown>()
  const [listError, setListError] = useState<unknown>()
  const placed = placeErrors(error, FIELDS)
  const set = (key: keyof typeof form) => (e: { currentTarget: HTMLInputElement }) =>
    setForm({ ...form, [key]: e.currentTarget.value })

  const add = async (event: Event) => {
    event.preventDefault()
    try {
      await api.post(`/v1/sites/${siteId}/uplinks`, {
        name: form.name.trim(),
        interface: form.interface.trim(),
        endpoint: form.endpoint.trim() || null,
        bandwidthMbps: optionalNumber(form.bandwidth) ?? null,
        costPerGb: optionalNumber(form.cost) ?? null,
      })
      setForm({ name: '', interface: '', endpoint: '', bandwidth: '', cost: '' })
      setError(undefined)
      setAdding(false)
      onChange()
    } catch (e) {
      setError(e)
    }
  }

  const remove = async (uplink: Uplink) => {
    if (!confirm(`Remove uplink ${uplink.name}? Its paths go away on every peer.`)) return
    try {
      await api.delete(`/v1/uplinks/${uplink.id}`)
      onChange()
    } catch (e) {
      setListError(e)
    }
  }

  return (
    <section class="panel" aria-labelledby="uplinks-title">
      <div class="page-head">
        <h2 id="uplinks-title">Uplinks</h2>
        {canEdit && !adding ? (
          <button type="button" onClick={() => setAdding(true)}>
            Add uplink
          </button>
        ) : null}
      </div>
      <ErrorNote error={listError} />
      {uplinks && uplinks.length === 0 ? <p class="empty">No uplinks.</p> : null}
      {uplinks && uplinks.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Slot</th>
                <th scope="col">Name</th>
                <th scope="col">Interface</th>
                <th scope="col">Endpoint</th>
                <th scope="col" class="num">
                  Mbit/s
                </th>
                <th scope="col" class="num">
                  Cost/GB
                </th>
                {canEdit ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {uplinks.map((u) => (
                <tr key={u.id}>
                  <td>{u.slot}</td>
                  <th scope="row">{u.name}</th>
                  <td>
                    <code>{u.interface}</code>
                  </td>
                  <td>
                    <code>{u.endpoint ?? '—'}</code>
                  </td>
                  <td class="num">{u.bandwidthMbps ?? '—'}</td>
                  <td class="num">{u.costPerGb ?? '—'}</td>
                  {canEdit ? (
                    <td>
                      <button type="button" class="danger" onClick={() => remove(u)}>
                        Remove<span class="sr-only"> uplink {u.name}</span>
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {adding ? (
        <form onSubmit={add} noValidate>
          <h3>New uplink</h3>
          {placed.general.map((m) => (
            <p class="error-note" role="alert" key={m}>
              {m}
            </p>
          ))}
          <div class="grid-2">
            <Field id="uplink-name" label="Name" error={placed.byField['name']}>
              {(aria) => <input {...aria} value={form.name} onInput={set('name')} />}
            </Field>
            <Field id="uplink-interface" label="Interface" error={placed.byField['interface']}>
              {(aria) => <input {...aria} value={form.interface} onInput={set('interface')} />}
            </Field>
            <Field
              id="uplink-endpoint"
              label="Public endpoint (optional)"
              hint="HOST:PORT peers reach this uplink at"
              error={placed.byField['endpoint']}
            >
              {(aria) => <input {...aria} value={form.endpoint} onInput={set('endpoint')} />}
            </Field>
            <Field id="uplink-bw" label="Bandwidth, Mbit/s" error={placed.byField['bandwidthMbps']}>
              {(aria) => (
                <input
                  {...aria}
                  inputMode="numeric"
                  value={form.bandwidth}
                  onInput={set('bandwidth')}
                />
              )}
            </Field>
            <Field id="uplink-cost" label="Cost per GB" error={placed.byField['costPerGb']}>
              {(aria) => (
                <input {...aria} inputMode="decimal" value={form.cost} onInput={set('cost')} />
              )}
            </Field>
          </div>
          <div class="actions">
            <button type="submit" class="primary">
              Add uplink
            </button>
            <button type="button" onClick={() => setAdding(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
    </section>
  )
}
