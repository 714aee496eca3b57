export { repairCoefficients } from './coefficients'
export {
  DEFAULT_SLIDING_HOLD_MS,
  DEFAULT_SLIDING_HORIZON,
  DEFAULT_SLIDING_MAX_EQUATIONS,
  SlidingDecoder,
  type SlidingDecoderConfig,
  type SlidingDecoderHost,
} from './decoder'
export { type Equation, type Solution, solve } from './elimination'
export {
  DEFAULT_SLIDING_WINDOW,
  DEFAULT_SLIDING_WINDOW_MS,
  SlidingEncoder,
  type SlidingEncoderConfig,
} from './encoder'
