// A Yjs provider that keeps one Y.Doc (and optionally an Awareness) in sync through the Collab SignalR hub
// (`/hubs/documents`, see docs/protocol.md). It runs in the browser and in Node 20+ (the wire tests use it there),
// so it touches no DOM API.
//
// Delivery rule: every local update gets a fresh update id and stays in a pending queue until the server
// acknowledges it. After a reconnect the pending updates are sent again with the SAME ids, so an update whose ack
// was lost is acknowledged again by the server without being stored twice.

import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { ObservableV2 } from 'lib0/observable'
import * as signalR from '@microsoft/signalr'
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack'

export { Y, awarenessProtocol }

/** Path of the hub relative to the server's base URL. */
export const hubPath = '/hubs/documents'

const trimSlash = (url) => url.replace(/\/+$/, '')

/** A random identifier (UUID-shaped) that works in insecure browser contexts too, where randomUUID is missing. */
export const newUpdateId = () => {
  const b = new Uint8Array(16)
  globalThis.crypto.getRandomValues(b)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

// In the JSON hub protocol byte[] travels as base64 text; in MessagePack as bin (Uint8Array).
const toBase64 = (bytes) => {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes).toString('base64')
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000))
  return btoa(s)
}
const fromBase64 = (text) => {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(text, 'base64'))
  const s = atob(text)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}
const toBytes = (payload) => (typeof payload === 'string' ? fromBase64(payload) : new Uint8Array(payload))

/** Reads a field of a hub result whatever the protocol's naming (JSON camelCase, MessagePack PascalCase). */
const field = (obj, name) => {
  if (obj == null || typeof obj !== 'object') return undefined
  if (name in obj) return obj[name]
  const pascal = name[0].toUpperCase() + name.slice(1)
  return obj[pascal]
}

/** Whether a hub error says "try again" rather than "no" (docs/protocol.md, Errors). */
const isTransient = (error) => /\b(unavailable|rate_limited):/.test(String(error?.message ?? error))

/** Largest clock per client of two state vectors (Map client → clock). */
const maxStateVector = (a, b) => {
  const out = new Map(a)
  b.forEach((clock, client) => { if ((out.get(client) ?? 0) < clock) out.set(client, clock) })
  return out
}

const encodeStateVectorMap = (sv) => {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, sv.size)
  // Yjs writes higher client ids first; the order carries no meaning for decoding.
  Array.from(sv.entries()).sort((x, y) => y[0] - x[0]).forEach(([client, clock]) => {
    encoding.writeVarUint(enc, client)
    encoding.writeVarUint(enc, clock)
  })
  return encoding.toUint8Array(enc)
}

const syncMessage = (type, payload) => {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, type)
  encoding.writeVarUint8Array(enc, payload)
  return encoding.toUint8Array(enc)
}

/**
 * Builds a SignalR connection to the hub.
 * @param {{ serverUrl: string, getToken: () => (string|Promise<string>), protocol?: 'msgpack'|'json',
 *           skipNegotiation?: boolean, logLevel?: number }} options
 */
export const createHubConnection = ({ serverUrl, getToken, protocol = 'msgpack', skipNegotiation = false, logLevel }) => {
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(trimSlash(serverUrl) + hubPath, {
      accessTokenFactory: getToken,
      // WebSockets first; long polling only when a proxy refuses the upgrade.
      transport: skipNegotiation ? signalR.HttpTransportType.WebSockets
        : signalR.HttpTransportType.WebSockets | signalR.HttpTransportType.LongPolling,
      skipNegotiation
    })
    .withAutomaticReconnect({
      // Never give up: a collaborator who goes offline for an hour must still get back in.
      nextRetryDelayInMilliseconds: (ctx) => Math.min(5000, 200 * 2 ** Math.min(ctx.previousRetryCount, 5))
    })
    .configureLogging(logLevel ?? signalR.LogLevel.Warning)
  if (protocol === 'msgpack') builder = builder.withHubProtocol(new MessagePackHubProtocol())
  return builder.build()
}

/**
 * Keeps `doc` in sync with one (document, branch) on the server.
 *
 * Events: `status` ({ status: 'connecting'|'connected'|'disconnected' }), `synced` (boolean),
 * `ack` ({ updateId, seq }), `refused` ({ updateId, error }), `role` (string), `error` (Error).
 */
export class CollabProvider extends ObservableV2 {
  /**
   * @param {{ serverUrl: string, documentId: string, branch?: string, doc: Y.Doc,
   *           awareness?: awarenessProtocol.Awareness|null, getToken: () => (string|Promise<string>),
   *           protocol?: 'msgpack'|'json', connect?: boolean, skipNegotiation?: boolean, logLevel?: number }} options
   */
  constructor ({ serverUrl, documentId, branch = 'main', doc, awareness, getToken, protocol = 'msgpack',
    connect = true, skipNegotiation = false, logLevel }) {
    super()
    this.serverUrl = serverUrl
    this.documentId = documentId
    this.branch = branch
    this.doc = doc
    this.awareness = awareness === undefined ? new awarenessProtocol.Awareness(doc) : awareness
    this.protocol = protocol
    /** @type {'connecting'|'connected'|'disconnected'} */
    this.status = 'disconnected'
    this.synced = false
    /** Role answered by Join (`owner`, `editor`, `viewer`, `auditor`); null before the first join. */
    this.role = null
    this.headSeq = 0
    /** Highest seq the server acknowledged for one of our updates. */
    this.lastAckSeq = 0
    /** @type {Array<{ id: string, update: Uint8Array }>} unacknowledged local updates, oldest first */
    this.pending = []
    this._joined = false
    this._inbox = null // server messages held while a (re)join is settling
    this._wantConnected = false
    this._destroyed = false

    this.connection = createHubConnection({ serverUrl, getToken, protocol, skipNegotiation, logLevel })
    this.connection.on('Sync', (documentId, br, message) => {
      if (documentId !== this.documentId || br !== this.branch) return
      this._receive('sync', toBytes(message))
    })
    this.connection.on('Awareness', (documentId, br, update) => {
      if (documentId !== this.documentId || br !== this.branch) return
      this._receive('awareness', toBytes(update))
    })
    this.connection.onreconnecting(() => this._lost())
    this.connection.onreconnected(() => { this._join().catch((e) => this._failJoin(e)) })
    this.connection.onclose(() => {
      this._lost()
      // withAutomaticReconnect gave up or the connection never came up: keep trying while the user wants it.
      if (this._wantConnected && !this._destroyed) this._scheduleStart()
    })

    this._onDocUpdate = (update, origin) => {
      if (origin === this) return
      const item = { id: newUpdateId(), update }
      this.pending.push(item)
      if (this._joined) this._sendUpdate(item)
    }
    doc.on('update', this._onDocUpdate)

    this._onAwarenessUpdate = ({ added, updated, removed }, origin) => {
      if (origin !== 'local' && origin !== 'window unload') return
      const changed = added.concat(updated, removed)
      if (this._joined && changed.length > 0) {
        this._sendAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed))
      }
    }
    if (this.awareness) this.awareness.on('update', this._onAwarenessUpdate)

    if (connect) this.connect()
  }

  /** Number of local updates the server has not acknowledged yet. */
  get pendingCount () { return this.pending.length }

  /** Starts (or resumes) the connection; local edits made while disconnected are sent after the join. */
  connect () {
    this._wantConnected = true
    if (this.connection.state === signalR.HubConnectionState.Disconnected) this._start()
  }

  /** Stops the connection; the document keeps working offline and its edits stay pending. */
  async disconnect () {
    this._wantConnected = false
    clearTimeout(this._startTimer)
    if (this._joined && this.awareness) {
      // Tell the others we are gone rather than letting our cursor time out after 30 s.
      const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID],
        new Map([[this.doc.clientID, null]]))
      try { await this._invoke('Awareness', update) } catch { /* best effort */ }
      try { await this.connection.invoke('Leave', this.documentId, this.branch) } catch { /* best effort */ }
    }
    await this.connection.stop()
    this._lost()
  }

  /** Disconnects and detaches from the document and awareness. */
  async destroy () {
    this._destroyed = true
    await this.disconnect()
    this.doc.off('update', this._onDocUpdate)
    if (this.awareness) this.awareness.off('update', this._onAwarenessUpdate)
    super.destroy()
  }

  /** Resolves once the first sync handshake with the server is complete. */
  whenSynced () {
    if (this.synced) return Promise.resolve()
    return new Promise((resolve) => {
      const h = (s) => { if (s) { this.off('synced', h); resolve() } }
      this.on('synced', h)
    })
  }

  /** Resolves once every local update made so far has been acknowledged. */
  whenFlushed () {
    if (this.pending.length === 0) return Promise.resolve()
    const last = this.pending[this.pending.length - 1].id
    return new Promise((resolve, reject) => {
      const done = () => { this.off('ack', onAck); this.off('refused', onRefused) }
      const onAck = ({ updateId }) => { if (updateId === last || !this.pending.some((p) => p.id === last)) { done(); resolve() } }
      const onRefused = ({ updateId, error }) => { if (updateId === last) { done(); reject(error) } }
      this.on('ack', onAck)
      this.on('refused', onRefused)
    })
  }

  _setStatus (status) {
    if (this.status === status) return
    this.status = status
    this.emit('status', [{ status }])
  }

  _scheduleStart () {
    clearTimeout(this._startTimer)
    this._startTimer = setTimeout(() => { if (this._wantConnected) this._start() }, 1000)
  }

  async _start () {
    this._setStatus('connecting')
    try {
      await this.connection.start()
    } catch (e) {
      this.emit('error', [e])
      this._setStatus('disconnected')
      if (this._wantConnected && !this._destroyed) this._scheduleStart()
      return
    }
    try { await this._join() } catch (e) { this._failJoin(e) }
  }

  _failJoin (e) {
    this.emit('error', [e])
    if (this.connection.state !== signalR.HubConnectionState.Connected) return // the reconnect will join again
    if (isTransient(e)) {
      // The server is starting, stopping or reloading the branch: join again shortly.
      this._joinAttempts = (this._joinAttempts ?? 0) + 1
      setTimeout(() => {
        if (this._wantConnected && !this._joined && this.connection.state === signalR.HubConnectionState.Connected) {
          this._join().catch((e2) => this._failJoin(e2))
        }
      }, Math.min(2000, 100 * 2 ** Math.min(this._joinAttempts, 5)))
      return
    }
    // A refused join (no access, unknown document) will not get better by retrying.
    this._wantConnected = false
    this.connection.stop()
  }

  _lost () {
    this._joined = false
    this._inbox = null
    if (this.synced) { this.synced = false; this.emit('synced', [false]) }
    if (this.awareness) {
      // Nobody will tell us when remote peers leave while we are away: forget them now.
      const others = Array.from(this.awareness.getStates().keys()).filter((c) => c !== this.doc.clientID)
      if (others.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, others, this)
    }
    this._setStatus('disconnected')
  }

  async _join () {
    this._joined = false
    this._inbox = [] // the server's SyncStep1 will arrive right after Join returns
    const result = await this.connection.invoke('Join', this.documentId, this.branch)
    this._joinAttempts = 0
    this.headSeq = Number(field(result, 'headSeq') ?? 0)
    this.role = field(result, 'role') ?? null
    this.emit('role', [this.role])
    this._setStatus('connected')

    // Re-send what the server never acknowledged, with the same ids, before answering its SyncStep1: the
    // server then already holds these updates and our SyncStep2 need not repeat them.
    const resent = this.pending.slice()
    const svOfResent = resent.length > 0
      ? Y.decodeStateVector(Y.encodeStateVectorFromUpdate(Y.mergeUpdates(resent.map((p) => p.update))))
      : new Map()
    await Promise.all(resent.map((item) => this._sendUpdate(item)))
    if (this.connection.state !== signalR.HubConnectionState.Connected) return

    // While we were away the server told the others we left, with our awareness clock + 1; a state with an equal
    // clock would be ignored, so skip one clock silently (not joined yet: nothing is sent) and publish with the next.
    const local = this.awareness ? this.awareness.getLocalState() : null
    if (local !== null) this.awareness.setLocalState(local)

    this._joined = true
    const inbox = this._inbox ?? []
    this._inbox = null
    // Updates made while the resends were in flight were queued but not sent yet.
    for (const item of this.pending) if (!resent.includes(item)) this._sendUpdate(item)
    for (const [kind, bytes] of inbox) this._handle(kind, bytes, svOfResent)

    this._invoke('Sync', syncMessage(syncProtocol.messageYjsSyncStep1, Y.encodeStateVector(this.doc)), null)
      .catch((e) => this.emit('error', [e]))
    if (local !== null) this.awareness.setLocalState(local) // sent by the awareness handler
  }

  _receive (kind, bytes) {
    if (this._inbox) this._inbox.push([kind, bytes])
    else this._handle(kind, bytes, null)
  }

  _handle (kind, bytes, svOfResent) {
    try {
      if (kind === 'awareness') {
        if (!this.awareness) return
        // The server sends every current state on Join, so a newcomer learns about us without a resend.
        awarenessProtocol.applyAwarenessUpdate(this.awareness, bytes, this)
        return
      }
      const decoder = decoding.createDecoder(bytes)
      const type = decoding.readVarUint(decoder)
      const payload = decoding.readVarUint8Array(decoder)
      switch (type) {
        case syncProtocol.messageYjsSyncStep1: {
          let serverSv = Y.decodeStateVector(payload)
          if (svOfResent) serverSv = maxStateVector(serverSv, svOfResent)
          const diff = Y.encodeStateAsUpdate(this.doc, encodeStateVectorMap(serverSv))
          this._invoke('Sync', syncMessage(syncProtocol.messageYjsSyncStep2, diff), newUpdateId())
            .then((ack) => this._noteSeq(ack))
            .catch((e) => this.emit('error', [e]))
          break
        }
        case syncProtocol.messageYjsSyncStep2:
          Y.applyUpdate(this.doc, payload, this)
          if (!this.synced) { this.synced = true; this.emit('synced', [true]) }
          break
        case syncProtocol.messageYjsUpdate:
          Y.applyUpdate(this.doc, payload, this)
          break
        default:
          throw new Error(`unknown sync message type ${type}`)
      }
    } catch (e) {
      this.emit('error', [e])
    }
  }

  _noteSeq (ack) {
    const seq = Number(field(ack, 'seq') ?? 0)
    if (seq > this.lastAckSeq) this.lastAckSeq = seq
    return seq
  }

  _invoke (method, bytes, updateId) {
    const payload = this.protocol === 'json' ? toBase64(bytes) : bytes
    return method === 'Sync'
      ? this.connection.invoke('Sync', this.documentId, this.branch, payload, updateId)
      : this.connection.invoke(method, this.documentId, this.branch, payload)
  }

  _sendAwareness (update) {
    this._invoke('Awareness', update).catch((e) => this.emit('error', [e]))
  }

  async _sendUpdate (item) {
    try {
      const ack = await this._invoke('Sync', syncMessage(syncProtocol.messageYjsUpdate, item.update), item.id)
      const seq = this._noteSeq(ack)
      const i = this.pending.indexOf(item)
      if (i >= 0) this.pending.splice(i, 1)
      this.emit('ack', [{ updateId: item.id, seq }])
    } catch (error) {
      if (this.connection.state !== signalR.HubConnectionState.Connected) return // stays pending; resent on rejoin
      if (isTransient(error)) {
        // "unavailable" (shutting down, branch reloading) and "rate_limited" mean: the same update, later.
        item.attempts = (item.attempts ?? 0) + 1
        setTimeout(() => {
          if (this._joined && this.pending.includes(item)) this._sendUpdate(item)
        }, Math.min(2000, 50 * 2 ** Math.min(item.attempts, 6)))
        return
      }
      // The server refused it (HubException): retrying cannot help, so report it and drop it.
      const i = this.pending.indexOf(item)
      if (i >= 0) this.pending.splice(i, 1)
      this.emit('refused', [{ updateId: item.id, error }])
    }
  }
}

/** Development sign-in: `POST /api/dev/token {"user"}` → the JWT. */
export const devSignIn = async (serverUrl, user) => {
  const res = await fetch(trimSlash(serverUrl) + '/api/dev/token', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user })
  })
  if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`)
  return (await res.json()).token
}

const api = async (serverUrl, token, method, path, body) => {
  const res = await fetch(trimSlash(serverUrl) + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined
  })
  if (!res.ok) throw new Error(`${method} ${path} failed: ${res.status} ${await res.text()}`)
  return res.status === 204 ? null : res.json()
}

/** `GET /api/documents`: the documents the signed-in user may open. */
export const listDocuments = (serverUrl, token) => api(serverUrl, token, 'GET', '/api/documents')
/** `POST /api/documents`: creates a document (id optional); the caller becomes its owner. */
export const createDocument = (serverUrl, token, { id, title }) =>
  api(serverUrl, token, 'POST', '/api/documents', id ? { id, title } : { title })
/** `GET /api/documents/{id}/branches`. */
export const listBranches = (serverUrl, token, id) =>
  api(serverUrl, token, 'GET', `/api/documents/${encodeURIComponent(id)}/branches`)
