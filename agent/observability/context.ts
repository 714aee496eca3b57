/**
 * The active-span context for OpenTelemetry on AsyncLocalStorage, so that a sync span is
 * the parent of the HTTP client spans below it without passing it around (the control
 * plane has the same class in worker/observability/context.ts; the halves share only
 * protocol/). The API ships no context manager and @opentelemetry/context-async-hooks
 * is not a dependency; this is its AsyncLocalStorage variant, which Node and workerd
 * (nodejs_compat) both provide.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { type Context, type ContextManager, context, ROOT_CONTEXT } from '@opentelemetry/api'

export class AsyncLocalStorageContextManager implements ContextManager {
  private storage = new AsyncLocalStorage<Context>()

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args))
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target
    const manager = this
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => (target as (...a: unknown[]) => unknown).apply(this, args))
    } as T
  }

  enable(): this {
    return this
  }

  disable(): this {
    this.storage.disable()
    return this
  }
}

let registered = false

/** Registers the context manager once per process (a second registration is a no-op). */
export function ensureContextManager(): void {
  if (registered) return
  registered = true
  context.setGlobalContextManager(new AsyncLocalStorageContextManager())
}
