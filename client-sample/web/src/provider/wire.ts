// Small helpers for the hub's wire format (docs/protocol.md): y-protocols sync messages, base64 for the JSON hub
// protocol, result fields, error codes. No DOM and no Node API: the module runs in both.

import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'

/** Path of the hub relative to the server's base URL. */
export const hubPath = '/hubs/documents'

/** The server's base URL without trailing slashes. */
export const trimSlash = (url: string): string => url.replace(/\/+$/, '')

/** A random identifier (UUID-shaped) that works in insecure browser contexts too, where randomUUID is missing. */
export const newUpdateId = (): string => {
  const b = new Uint8Array(16)
  globalThis.crypto.getRandomValues(b)
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** In the JSON hub protocol byte[] travels as base64 text; in MessagePack as bin (Uint8Array). */
export const toBase64 = (bytes: Uint8Array): string => {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

export const fromBase64 = (text: string): Uint8Array => {
  const s = atob(text)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

/** A byte[] argument the server sent, whatever the protocol. */
export const toBytes = (payload: unknown): Uint8Array =>
  typeof payload === 'string' ? fromBase64(payload) : new Uint8Array(payload as ArrayLike<number>)

/** Reads a field of a hub result whatever the protocol's naming (camelCase, or PascalCase from older servers). */
export const field = (obj: unknown, name: string): unknown => {
  if (obj === null || typeof obj !== 'object') return undefined
  const record = obj as Record<string, unknown>
  if (name in record) return record[name]
  return record[name.charAt(0).toUpperCase() + name.slice(1)]
}

/** The stable error code of a refused hub call (`forbidden`, `unavailable`…), or null (docs/protocol.md, Errors). */
export const errorCode = (error: unknown): string | null => {
  const text = String((error as { message?: unknown } | null)?.message ?? error)
  const match = /HubException: ([a-z_]+):/.exec(text) ?? /^([a-z_]+): /.exec(text)
  return match ? match[1]! : null
}

/** Whether a hub error says "try again" rather than "no". */
export const isTransient = (error: unknown): boolean => /\b(unavailable|rate_limited):/.test(String((error as { message?: unknown } | null)?.message ?? error))

/** Largest clock per client of two state vectors. */
export const maxStateVector = (a: Map<number, number>, b: Map<number, number>): Map<number, number> => {
  const out = new Map(a)
  b.forEach((clock, client) => { if ((out.get(client) ?? 0) < clock) out.set(client, clock) })
  return out
}

/** Encodes a state vector map the way Yjs does. */
export const encodeStateVectorMap = (sv: Map<number, number>): Uint8Array => {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, sv.size)
  Array.from(sv.entries()).sort((x, y) => y[0] - x[0]).forEach(([client, clock]) => {
    encoding.writeVarUint(enc, client)
    encoding.writeVarUint(enc, clock)
  })
  return encoding.toUint8Array(enc)
}

/** y-protocols sync message types. */
export const messageSyncStep1 = 0
export const messageSyncStep2 = 1
export const messageUpdate = 2

/** One y-protocols sync message: varuint type + varUint8Array payload. */
export const syncMessage = (type: number, payload: Uint8Array): Uint8Array => {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, type)
  encoding.writeVarUint8Array(enc, payload)
  return encoding.toUint8Array(enc)
}

/** The state vector that a list of updates covers. */
export const stateVectorOfUpdates = (updates: Uint8Array[]): Map<number, number> =>
  updates.length === 0 ? new Map() : Y.decodeStateVector(Y.encodeStateVectorFromUpdate(Y.mergeUpdates(updates)))
