/**
 * An in-memory classifier for tests of the pipeline without root (no tc, no bpftool, no
 * BPF object): it keeps whether it is attached and the tables last written, and `dump()`
 * prints them as text (class marks, the policy each class came from, application names
 * and the ECMP buckets in use), so a test compares the classifier's state like the routes.
 */
import type { ClassifierTables } from './compile'
import type { ClassifierCounters } from './loader'
import type { ClassifierLike } from './wiring'

export interface MemoryClassifier extends ClassifierLike {
  readonly attached: boolean
  readonly tables: ClassifierTables | undefined
  dump(): string
}

export function memoryClassifier(ifname = 'lan0'): MemoryClassifier {
  let attached = false
  let tables: ClassifierTables | undefined
  let generation = 0
  return {
    ifname,
    get attached() {
      return attached
    },
    get tables() {
      return tables
    },
    async attach() {
      attached = true
    },
    async apply(next) {
      tables = next
      generation++
      return { updates: 1, generation }
    },
    async counters(): Promise<ClassifierCounters> {
      return {
        stats: {} as ClassifierCounters['stats'],
        classes: {},
        unclassified: { packets: 0, bytes: 0 },
        applications: {},
      }
    },
    async detach() {
      attached = false
      tables = undefined
    },
    dump() {
      if (!attached) return `classifier ${ifname} detached`
      if (!tables) return `classifier ${ifname} attached (no tables)`
      const lines = [`classifier ${ifname} attached`]
      tables.classes.forEach((c, k) => {
        // Every slot exists in the map; only the policies' classes say something.
        const policy = tables?.classPolicy.get(k)
        if (policy === undefined) return
        lines.push(`  class ${k} mark 0x${c.mark.toString(16)} policy ${policy} lb ${c.lbMode}`)
      })
      for (const n of [...tables.names].sort((a, b) => a.suffix.localeCompare(b.suffix)))
        lines.push(`  name ${n.suffix} app ${tables.appNames.get(n.app) ?? n.app}`)
      const buckets = new Set(tables.lb.filter((m) => m !== 0))
      if (buckets.size > 0)
        lines.push(`  lb marks ${[...buckets].map((m) => `0x${m.toString(16)}`).join(',')}`)
      return lines.join('\n')
    },
  }
}
