export * from './engine'
export * from './plan'
export * from './recording'
