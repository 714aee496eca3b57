/**
 * The policy set the classifier runs with during the benchmark: what a small branch would
 * carry (voice by DPI, backup by TLS SNI, a DSCP-marked class, a bulk UDP port range, and
 * the benchmark's own traffic matched by protocol + port + source/destination prefixes with
 * a DSCP rewrite), so every packet walks the port, prefix, DSCP and application tables.
 * Every class is steered onto uplink 0, the main table's path, so with and without the
 * classifier the packets take the same hops and only the classification differs.
 */
import type { ClassifierSpec } from '../../agent/bpf'

export const CLASS_MARK_BASE = 0x7300
export const BENCH_PORT = 5201
/** Class of the benchmark's TCP/UDP traffic (port rule + prefixes + DSCP rewrite). */
export const BENCH_CLASS = 3
/** Class of ping (ICMP + destination prefix). */
export const PROBE_CLASS = 4
export const CLASSES = [0, 1, 2, BENCH_CLASS, PROBE_CLASS]

export function benchSpec(): ClassifierSpec {
  return {
    policies: [
      {
        id: 'voice',
        priority: 10,
        match: { applications: ['voip'] },
        action: { preference: 'lowest-latency' },
      },
      {
        id: 'expedited',
        priority: 15,
        match: { dscp: [46, 34] },
        action: { preference: 'lowest-latency' },
      },
      {
        id: 'backup',
        priority: 20,
        match: { applications: ['backup'] },
        action: { preference: 'lowest-cost' },
      },
      {
        id: 'bulk-udp',
        priority: 30,
        match: { protocols: ['udp'], ports: ['7000-7999', 9000] },
        action: { preference: 'lowest-cost' },
      },
      {
        id: 'bench',
        priority: 40,
        match: {
          protocols: ['tcp', 'udp'],
          ports: [BENCH_PORT, 443, '8000-8100'],
          sourcePrefixes: ['10.20.0.0/24', '172.16.0.0/12'],
          destinationPrefixes: ['10.99.0.0/24', '192.0.2.0/24'],
        },
        action: { preference: 'highest-bandwidth' },
      },
      {
        id: 'probes',
        priority: 50,
        match: { protocols: ['icmp'], destinationPrefixes: ['10.99.0.0/16'] },
        action: { preference: 'lowest-latency' },
      },
    ],
    classOf: {
      voice: 0,
      expedited: 0,
      backup: 1,
      'bulk-udp': 2,
      bench: BENCH_CLASS,
      probes: PROBE_CLASS,
    },
    classMarkBase: CLASS_MARK_BASE,
    dscpRewrite: { 0: 46, [BENCH_CLASS]: 10 },
    applications: { backup: { names: ['backup.example', 'vault.example.net'] } },
    rtpPorts: [16000, 16999],
  }
}
