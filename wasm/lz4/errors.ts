/**
 * Typed errors of the LZ4 decoders. Compressed input is untrusted (it arrives from the network),
 * so every way it can be malformed maps to a code callers can branch on and a message that says
 * where the input went wrong.
 */

export type Lz4ErrorCode =
  | 'TRUNCATED'
  | 'BAD_OFFSET'
  | 'OUTPUT_LIMIT'
  | 'BAD_MAGIC'
  | 'BAD_DESCRIPTOR'
  | 'HEADER_CHECKSUM'
  | 'BLOCK_TOO_LARGE'
  | 'BLOCK_CHECKSUM'
  | 'CONTENT_CHECKSUM'
  | 'CONTENT_SIZE'
  | 'UNSUPPORTED'
  | 'INVALID_ARGUMENT'

export class Lz4Error extends Error {
  override readonly name = 'Lz4Error'
  constructor(
    readonly code: Lz4ErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/** Map a negative result of the wasm block decoder to an error. */
export function blockError(result: number, where: string): Lz4Error {
  switch (result) {
    case -1:
      return new Lz4Error('TRUNCATED', `lz4 ${where}: input ends inside a sequence`)
    case -2:
      return new Lz4Error('BAD_OFFSET', `lz4 ${where}: match offset is zero or before the output`)
    case -3:
      return new Lz4Error(
        'OUTPUT_LIMIT',
        `lz4 ${where}: decompressed data exceeds the output limit`,
      )
    default:
      return new Lz4Error('TRUNCATED', `lz4 ${where}: decoder failed with code ${result}`)
  }
}
