/**
 * Per-uplink impairments of the lab WAN, applied on the WAN router's side of an uplink
 * (and tbf on both veth ends): blackhole and loss with nftables (numgen), rate with tbf,
 * delay/jitter through the userspace relay (relay.ts), because this kernel has no netem.
 * Loss and delay apply in each direction.
 */

export interface Impairment {
  blackhole?: boolean
  /** Percentage of packets dropped in each direction, 0-100. */
  lossPct?: number
  /** Token-bucket rate limit in Mbit/s, in each direction. */
  rateMbit?: number
  /** One-way delay added in each direction, through the relay. */
  delayMs?: number
  /** Uniform jitter (+/-) around delayMs. Reorders packets, as real jitter does. */
  jitterMs?: number
}

export function uplinkChain(site: number, slot: number): string {
  return `u${site}_${slot}`
}

/** The nft script that creates the lab's table in the WAN namespace. */
export function baseRuleset(
  table: string,
  uplinks: { site: number; slot: number; wanIf: string }[],
): string {
  const lines = [
    `table inet ${table} {`,
    ...uplinks.map((u) => `  chain ${uplinkChain(u.site, u.slot)} {\n  }`),
    '  chain relay_pre {\n    type filter hook prerouting priority -300; policy accept;\n  }',
    '  chain relay_out {\n    type filter hook output priority -300; policy accept;\n  }',
    '  chain imp_forward {\n    type filter hook forward priority 0; policy accept;',
    ...uplinks.flatMap((u) => [
      `    iifname "${u.wanIf}" jump ${uplinkChain(u.site, u.slot)}`,
      `    oifname "${u.wanIf}" jump ${uplinkChain(u.site, u.slot)}`,
    ]),
    '  }',
    '  chain imp_input {\n    type filter hook input priority 0; policy accept;',
    ...uplinks.map((u) => `    iifname "${u.wanIf}" jump ${uplinkChain(u.site, u.slot)}`),
    '  }',
    '  chain imp_output {\n    type filter hook output priority 0; policy accept;',
    ...uplinks.map((u) => `    oifname "${u.wanIf}" jump ${uplinkChain(u.site, u.slot)}`),
    '  }',
    '}',
  ]
  return `${lines.join('\n')}\n`
}

/** Rules of one uplink's chain for blackhole and loss (rate and delay live elsewhere). */
export function dropRules(table: string, chain: string, impairment: Impairment): string {
  const lines = [`flush chain inet ${table} ${chain}`]
  if (impairment.blackhole) {
    lines.push(`add rule inet ${table} ${chain} drop`)
  } else if (impairment.lossPct !== undefined && impairment.lossPct > 0) {
    const pct = Math.round(impairment.lossPct)
    if (pct < 0 || pct > 100) throw new Error(`lossPct ${impairment.lossPct} is not within 0-100`)
    lines.push(`add rule inet ${table} ${chain} numgen random mod 100 < ${pct} drop`)
  }
  return `${lines.join('\n')}\n`
}

/** tbf arguments for a rate in Mbit/s; burst covers ~4 ms of traffic, at least 2 MTUs. */
export function tbfArgs(rateMbit: number): string[] {
  if (!(rateMbit > 0)) throw new Error(`rateMbit ${rateMbit} must be positive`)
  const burst = Math.max(3200, Math.round((rateMbit * 1e6) / 8 / 250))
  return ['root', 'tbf', 'rate', `${rateMbit}mbit`, 'burst', String(burst), 'latency', '50ms']
}

/**
 * Stateless rewrites that put the relay on the underlay of one uplink: packets to the
 * uplink's ports go to the relay's address instead, and the relay's answers leave with the
 * uplink's address, so the far side sees no change; the site itself roams to the relay.
 */
export function relayRules(
  table: string,
  uplinkAddress: string,
  relayAddress: string,
  ports: number[],
): string {
  const set = `{ ${ports.join(', ')} }`
  return [
    `add rule inet ${table} relay_pre ip daddr ${uplinkAddress} udp dport ${set} ip daddr set ${relayAddress} comment "relay ${uplinkAddress}"`,
    `add rule inet ${table} relay_out ip saddr ${relayAddress} udp sport ${set} ip saddr set ${uplinkAddress} comment "relay ${uplinkAddress}"`,
    '',
  ].join('\n')
}
