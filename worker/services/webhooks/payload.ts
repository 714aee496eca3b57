/**
 * What a delivery carries. `json`: the Standard Webhooks shape `{type, timestamp, data}`.
 * `slack`: a Slack incoming-webhook body (`text`, plus one mrkdwn section block), which
 * Mattermost, Rocket.Chat and Discord's `/slack` endpoint accept too.
 */

export interface Message {
  type: string
  /** Epoch ms: when the message was produced. */
  at: number
  data: Record<string, unknown>
  /** One line for chat formats. */
  text: string
}

export function renderPayload(format: 'json' | 'slack', message: Message): string {
  if (format === 'slack') {
    return JSON.stringify({
      text: message.text,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: message.text } }],
    })
  }
  return JSON.stringify({
    type: message.type,
    timestamp: new Date(message.at).toISOString(),
    data: message.data,
  })
}

const ICON: Record<string, string> = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
}

export const severityIcon = (severity: string) => ICON[severity] ?? ':bell:'

/** Slack mrkdwn escapes only these three. */
export const slackEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
