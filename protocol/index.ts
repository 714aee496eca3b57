export * from './ids'
export * from './net'
export * from './policy'
export * from './version'
