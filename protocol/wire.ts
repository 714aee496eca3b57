/**
 * Everything the agent and the control plane exchange, in one list: each message with its
 * direction, route and zod schema, and the constants both halves must agree on (paths,
 * limits, signature profile). protocol/wire.test.ts turns it into JSON Schema and compares
 * it with the committed snapshot of the current PROTOCOL_VERSION, so a change to the wire
 * cannot land without a version bump (or a deliberate regeneration within an unreleased
 * version).
 */
import { type ZodType, z } from 'zod'
import {
  AGENT_PATHS,
  desiredStateSchema,
  enrollRequestSchema,
  enrollResponseSchema,
  heartbeatSchema,
  MAX_LONG_POLL_SECONDS,
  modelDocumentSchema,
  modelEtag,
} from './agent'
import { COVERED_COMPONENTS, MAX_CLOCK_SKEW_SECONDS, SIGNATURE_LABEL } from './signing'
import {
  agentEventBatchSchema,
  DERIVED_DETAIL_KEYS,
  MAX_EVENTS_PER_BATCH,
  TELEMETRY_PATHS,
  telemetryBatchSchema,
} from './telemetry'
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from './version'

export interface WireMessage {
  direction: 'agent-to-control-plane' | 'control-plane-to-agent'
  /** Method, path and (for answers) status the message travels in. */
  route: string
  schema: ZodType
}

export interface Wire {
  version: number
  messages: Record<string, WireMessage>
  /** Values outside the schemas that both halves hard-code. */
  constants: Record<string, unknown>
}

export const CURRENT_WIRE: Wire = {
  version: PROTOCOL_VERSION,
  messages: {
    enrollRequest: {
      direction: 'agent-to-control-plane',
      route: `POST ${AGENT_PATHS.enroll}`,
      schema: enrollRequestSchema,
    },
    enrollResponse: {
      direction: 'control-plane-to-agent',
      route: `POST ${AGENT_PATHS.enroll} 201`,
      schema: enrollResponseSchema,
    },
    desiredState: {
      direction: 'control-plane-to-agent',
      route: `GET ${AGENT_PATHS.config} 200`,
      schema: desiredStateSchema,
    },
    heartbeat: {
      direction: 'agent-to-control-plane',
      route: `POST ${AGENT_PATHS.heartbeat}`,
      schema: heartbeatSchema,
    },
    telemetryBatch: {
      direction: 'agent-to-control-plane',
      route: `POST ${TELEMETRY_PATHS.telemetry}`,
      schema: telemetryBatchSchema,
    },
    eventBatch: {
      direction: 'agent-to-control-plane',
      route: `POST ${TELEMETRY_PATHS.events}`,
      schema: agentEventBatchSchema,
    },
    modelDocument: {
      direction: 'control-plane-to-agent',
      route: `GET ${AGENT_PATHS.models}/{id} 200`,
      schema: modelDocumentSchema,
    },
  },
  constants: {
    agentPaths: AGENT_PATHS,
    telemetryPaths: TELEMETRY_PATHS,
    protocolHeader: PROTOCOL_HEADER,
    maxLongPollSeconds: MAX_LONG_POLL_SECONDS,
    maxEventsPerBatch: MAX_EVENTS_PER_BATCH,
    derivedDetailKeys: DERIVED_DETAIL_KEYS,
    signatureLabel: SIGNATURE_LABEL,
    signatureComponents: COVERED_COMPONENTS,
    maxClockSkewSeconds: MAX_CLOCK_SKEW_SECONDS,
    // The If-None-Match model tag, by example (its grammar lives in modelEtag).
    modelEtagExamples: [modelEtag({ sha256: 'ab'.repeat(32) }), modelEtag(null)],
  },
}

/**
 * The wire as JSON: each schema as JSON Schema (draft 2020-12) of what its receiver
 * accepts (`io: 'input'`: defaults make fields optional, transforms are described by their
 * input). Refinements (custom checks such as a port range or the derived-keys rule) have
 * no JSON Schema form; the constants they depend on are listed instead. An empty metadata
 * registry keeps the output independent of `.meta()`/`.openapi()` calls made elsewhere in
 * the process.
 */
export function wireSnapshot(wire: Wire): unknown {
  const messages: Record<string, unknown> = {}
  for (const [name, message] of Object.entries(wire.messages)) {
    messages[name] = {
      direction: message.direction,
      route: message.route,
      schema: z.toJSONSchema(message.schema, {
        io: 'input',
        unrepresentable: 'throw',
        metadata: z.registry(),
      }),
    }
  }
  // A JSON round trip: readonly tuples and the like become plain arrays, as in the file.
  return JSON.parse(
    JSON.stringify({ protocolVersion: wire.version, messages, constants: wire.constants }),
  )
}
