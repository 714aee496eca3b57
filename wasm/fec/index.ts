export { linearCombination, ShardSlots } from './combine.js'
export { createReedSolomon, FecError, type FecErrorCode, type ReedSolomon } from './fec.js'
