import { predictiveOf } from '../api/policy-action'

interface Badge {
  key: string
  text: string
  /** Longer wording for a tooltip; the text itself already says what matters. */
  title: string
}

/** "QoS 10–50 Mbps · prio 2": the guaranteed rate, the ceiling and the priority if given. */
function describeQos(qos: Record<string, unknown>): Badge {
  const rate = qos['rateMbps']
  const ceil = qos['ceilMbps']
  const parts = [`QoS ${rate}${ceil !== undefined ? `–${ceil}` : ''} Mbps`]
  if (qos['priority'] !== undefined) parts.push(`prio ${qos['priority']}`)
  const burst = qos['burstBytes'] !== undefined ? `, burst ${qos['burstBytes']} bytes` : ''
  return {
    key: 'qos',
    text: parts.join(' · '),
    title: `Shaped: ${rate} Mbps guaranteed, up to ${ceil ?? 'the uplink'}${burst}`,
  }
}

/** What a policy's action does beyond choosing a path, as small labels in the policy list. */
export function actionBadges(action: Record<string, unknown>): Badge[] {
  const badges: Badge[] = []
  if (action['fec']) badges.push({ key: 'fec', text: 'FEC', title: 'Forward error correction' })
  if (action['compression']) {
    badges.push({ key: 'compression', text: 'compression', title: 'Compressed on the tunnel' })
  }
  const explicit = typeof action['predictive'] === 'boolean'
  if (predictiveOf(action)) {
    badges.push({
      key: 'predictive',
      text: explicit ? 'predictive' : 'predictive (default)',
      title: explicit
        ? 'Predictive failover: on'
        : 'Predictive failover: on by default, as the action has an SLA',
    })
  } else if (explicit && action['sla'] !== undefined) {
    // Off although the SLA would have turned it on: worth saying, unlike the plain default.
    badges.push({ key: 'predictive', text: 'predictive off', title: 'Predictive failover: off' })
  }
  const qos = action['qos']
  if (qos && typeof qos === 'object') badges.push(describeQos(qos as Record<string, unknown>))
  return badges
}

export function ActionBadges({ action }: { action: Record<string, unknown> }) {
  const badges = actionBadges(action)
  if (badges.length === 0) return null
  return (
    <ul class="badges" aria-label="Options">
      {badges.map((b) => (
        <li key={b.key} class="badge" data-badge={b.key} title={b.title}>
          {b.text}
        </li>
      ))}
    </ul>
  )
}
