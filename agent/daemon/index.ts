export * from './backoff'
export * from './daemon'
export * from './error-streak'
