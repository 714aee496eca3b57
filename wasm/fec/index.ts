export { createReedSolomon, FecError, type FecErrorCode, type ReedSolomon } from './fec.js'
