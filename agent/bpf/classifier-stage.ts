/**
 * The eBPF classifier as a pipeline stage: after the path monitor (its fwmark rules point
 * at the class tables the monitor fills), before the data plane and the optimizer (they act
 * on its marks). Apply writes the compiled tables (never a reload); close detaches the
 * program and removes its rules.
 */
import type { Stage } from '../pipeline/stage'
import type { ClassifierWiring } from './wiring'

export function classifierStage(wiring: ClassifierWiring): Stage {
  return {
    name: 'classifier',
    apply: (plan) => wiring.reconfig(plan.desired),
    close: () => wiring.close(),
  }
}
