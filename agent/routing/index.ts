export * from './addr'
export * from './rtnetlink'
export * from './types'
