export * from './desired-diff'
export * from './pipeline'
export * from './recording'
