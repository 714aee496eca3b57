export * from './addr'
export * from './rtnetlink'
export * from './sysctl'
export * from './types'
