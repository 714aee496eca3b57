/**
 * The optimizer's defaults, chosen for WAN links carrying real-time traffic (docs/wanopt.md):
 *
 * - k = 25 data packets per block: with m = 5 (20% overhead) a full block leaves 0.068% of
 *   packets lost at 5% random loss, under the 0.1% goal (k = 20, m = 4 leaves 0.13%; binomial
 *   arithmetic in docs/wanopt.md). Redundancy steps are m = 1, 3, 4, 5 (4/12/16/20%). At high
 *   rates a block fills in well under the deadline; at low rates the deadline closes it early
 *   with fewer packets (and parity in proportion, so a short block is less protected).
 * - deadline 4 ms: parity of a block is sent at most this long after its first packet, so a
 *   lost packet is rebuilt at most ~4 ms (plus one-way jitter) after it should have arrived;
 *   1 ms under the 5 ms latency budget leaves room for timer lateness on a busy host.
 * - receiver hold 20 ms: how long an incomplete block waits for its parity after its first
 *   datagram arrived (the sender's deadline plus jitter between paths and timer slack).
 * - window 128 blocks: how far behind the newest block a datagram may arrive (reordering);
 *   older ones are dropped as out of window.
 */
export const DEFAULT_K = 25
/**
 * The sliding-window code by default: at 1,000 packets/s and 5% random loss it leaves ~0% loss
 * at 20% overhead where the 4 ms block code leaves ~0.9% at 25% (bench/wanopt/fec-sim.ts).
 */
export const DEFAULT_CODE = 'sliding' as const
/**
 * Sliding code: a repair goes out at the latest 5 ms after the oldest packet it is the first to
 * cover. At 1,000 packets/s and the 20% level the count (a repair every 5 packets) comes first,
 * so the overhead stays 20%; 4 ms would fire a packet earlier and make it 25%.
 */
export const DEFAULT_REPAIR_DELAY_MS = 5
export const DEFAULT_DEADLINE_MS = 4
export const DEFAULT_RECEIVER_HOLD_MS = 20
export const DEFAULT_WINDOW_BLOCKS = 128
/** Open (incomplete) blocks kept per sender session; the oldest is given up beyond this. */
export const DEFAULT_MAX_OPEN_BLOCKS = 64
/** Sender sessions a receiver tracks at once (peers, restarts); least recently used goes. */
export const DEFAULT_MAX_SESSIONS = 8
