// Keeps one Y.Doc (and its Awareness) in sync with one (document, branch) through a shared CollabHub.
//
// Delivery rule (docs/client.md): every local transaction becomes one update with a fresh update id and stays in a
// pending queue until the server acknowledges it with a seq. After a reconnect the pending updates are sent again
// with the SAME ids, so an update whose ack was lost is acknowledged again without being stored twice.

import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as decoding from 'lib0/decoding'
import { ObservableV2 } from 'lib0/observable'
import type { CollabHub, HubMember } from './hub.js'
import {
  encodeStateVectorMap, errorCode, field, isTransient, maxStateVector, messageSyncStep1, messageSyncStep2, messageUpdate,
  newUpdateId, stateVectorOfUpdates, syncMessage
} from './wire.js'

/** A join overtaken by a newer one (reconnect, rejoin): not a failure. */
class StaleJoinError extends Error {}

/** A role on a document. */
export type Role = 'owner' | 'editor' | 'viewer' | 'auditor'

/**
 * Where the provider stands:
 * - `disconnected`: offline (edits keep working and stay pending);
 * - `connecting`: waiting for the connection;
 * - `syncing`: joined, handshake (and re-sent edits) under way;
 * - `connected`: in sync; local edits are sent as they happen.
 */
export type ProviderStatus = 'disconnected' | 'connecting' | 'syncing' | 'connected'

/** One local update not yet acknowledged. */
export interface PendingUpdate { id: string, update: Uint8Array, attempts: number }

/** The answer to Join / MoveToBranch. */
export interface JoinAnswer { headSeq: number, role: Role | null, branch: string, forkSeq?: number }

/** Options of {@link CollabProvider}. */
export interface CollabProviderOptions {
  hub: CollabHub
  documentId: string
  /** Default `main`. Use a fresh Y.Doc per branch (docs/protocol.md, "One Yjs client id, one line of history"). */
  branch?: string
  doc: Y.Doc
  /** Presence; a new Awareness when omitted, none when null. */
  awareness?: awarenessProtocol.Awareness | null
  /** Join at once (default true). */
  connect?: boolean
}

type ProviderEvents = {
  /** `{ status }` whenever {@link CollabProvider.status} changes. */
  status: (event: { status: ProviderStatus }) => void
  /** The first handshake completed (true) or the connection was lost (false). */
  synced: (synced: boolean) => void
  /** The server stored an update of ours at `seq` (null: it already had it). */
  ack: (event: { updateId: string, seq: number | null }) => void
  /** The server refused an update for good (viewer, too large…): it was dropped from the queue. */
  refused: (event: { updateId: string, error: unknown, code: string | null }) => void
  /** The role Join answered. */
  role: (role: Role | null) => void
  /** Now on another branch (after {@link CollabProvider.moveToBranch}). */
  branch: (event: { branch: string, previous: string }) => void
  /** Anything the status line shows changed: status, pending count, saved seq, role. */
  change: () => void
  error: (error: unknown) => void
}

/**
 * Keeps `doc` in sync with one (document, branch) on the server, over a {@link CollabHub} that may carry many.
 *
 * ```ts
 * const hub = new CollabHub({ serverUrl, getToken: () => token })
 * const doc = new Y.Doc()
 * const provider = new CollabProvider({ hub, documentId: 'notes', branch: 'main', doc })
 * await provider.whenSynced()
 * ```
 */
export class CollabProvider extends ObservableV2<ProviderEvents> implements HubMember {
  readonly hub: CollabHub
  readonly documentId: string
  /** The branch this provider syncs; changes only through {@link moveToBranch}. */
  branch: string
  readonly doc: Y.Doc
  readonly awareness: awarenessProtocol.Awareness | null
  status: ProviderStatus = 'disconnected'
  synced = false
  /** Role answered by Join; null before the first join. */
  role: Role | null = null
  /** The branch's durable head when we joined. */
  headSeq = 0
  /** Highest seq the server acknowledged for one of our updates. */
  lastAckSeq = 0
  /** Unacknowledged local updates, oldest first. */
  readonly pending: PendingUpdate[] = []

  private joined = false
  private wantJoined = false
  private destroyed = false
  private inbox: Array<['sync' | 'awareness', Uint8Array]> | null = null
  private readonly inflight = new Set<Promise<void>>()
  private joinAttempts = 0
  private generation = 0
  private readonly onDocUpdate: (update: Uint8Array, origin: unknown, doc: Y.Doc, tr: Y.Transaction) => void
  private readonly onAwarenessUpdate: (changes: { added: number[], updated: number[], removed: number[] }, origin: unknown) => void

  constructor (options: CollabProviderOptions) {
    super()
    this.hub = options.hub
    this.documentId = options.documentId
    this.branch = options.branch ?? 'main'
    this.doc = options.doc
    this.awareness = options.awareness === undefined ? new awarenessProtocol.Awareness(options.doc) : options.awareness

    this.onDocUpdate = (update, origin, _doc, tr) => {
      // Only edits made here: updates from the server (origin this) and from local persistence (y-indexeddb applies
      // with local = false) are not ours to send; the handshake's SyncStep2 carries whatever the server lacks.
      if (origin === this || !tr.local) return
      const item: PendingUpdate = { id: newUpdateId(), update, attempts: 0 }
      this.pending.push(item)
      if (this.joined) this.sendUpdate(item)
      this.emit('change', [])
    }
    this.doc.on('update', this.onDocUpdate)

    this.onAwarenessUpdate = ({ added, updated, removed }, origin) => {
      if (origin !== 'local' && origin !== 'window unload') return
      const changed = added.concat(updated, removed)
      if (this.joined && this.awareness !== null && changed.length > 0) {
        this.sendAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed))
      }
    }
    this.awareness?.on('update', this.onAwarenessUpdate)

    this.wantJoined = options.connect ?? true
    this.hub.attach(this)
    if (!this.hub.isConnected && this.wantJoined) this.setStatus('connecting')
  }

  /** Number of local updates the server has not acknowledged yet. */
  get pendingCount (): number { return this.pending.length }

  /** The highest seq known to be stored on the server for this branch as seen from here. */
  get savedSeq (): number { return Math.max(this.headSeq, this.lastAckSeq) }

  /** Whether the role may change the document. */
  get canWrite (): boolean { return this.role === 'owner' || this.role === 'editor' }

  /** Joins (again) when the hub is connected; edits made meanwhile are sent after the join. */
  connect (): void {
    this.wantJoined = true
    if (this.hub.isConnected && !this.joined) this.joinSafely()
    else if (!this.hub.isConnected) this.setStatus('connecting')
  }

  /** Leaves the branch; the document keeps working offline and its edits stay pending. */
  async disconnect (): Promise<void> {
    this.wantJoined = false
    await this.beforeDisconnect()
    this.connectionLost()
  }

  /** Joins again to learn a changed role (and resync); harmless when already joined. */
  rejoin (): void {
    if (this.hub.isConnected && this.wantJoined) this.joinSafely()
  }

  /** Leaves and detaches from the hub, the document and the awareness. */
  override async destroy (): Promise<void> {
    this.destroyed = true
    await this.disconnect()
    this.hub.detach(this)
    this.doc.off('update', this.onDocUpdate)
    this.awareness?.off('update', this.onAwarenessUpdate)
    super.destroy()
  }

  /** Resolves once the handshake with the server is complete. */
  whenSynced (): Promise<void> {
    if (this.synced) return Promise.resolve()
    return new Promise((resolve) => {
      const h = (s: boolean): void => { if (s) { this.off('synced', h); resolve() } }
      this.on('synced', h)
    })
  }

  /** Resolves once every local update made so far has been acknowledged (rejects if the last one is refused). */
  whenFlushed (): Promise<void> {
    const last = this.pending[this.pending.length - 1]
    if (last === undefined) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const done = (): void => { this.off('ack', onAck); this.off('refused', onRefused) }
      const onAck = ({ updateId }: { updateId: string }): void => {
        if (updateId === last.id || !this.pending.includes(last)) { done(); resolve() }
      }
      const onRefused = ({ updateId, error }: { updateId: string, error: unknown }): void => {
        if (updateId === last.id) { done(); reject(error) }
      }
      this.on('ack', onAck)
      this.on('refused', onRefused)
    })
  }

  /**
   * "Move my work to a branch": forks `newBranch` from this branch's head once everything sent so far is stored,
   * and continues there with the same document; edits not yet stored go to the new branch (docs/protocol.md).
   */
  async moveToBranch (newBranch: string): Promise<JoinAnswer> {
    if (!this.joined) throw new Error('Not connected: moving to a branch needs the server.')
    // Stop sending to the old branch and let what is in flight be acknowledged there.
    this.joined = false
    await Promise.allSettled(Array.from(this.inflight))
    const previous = this.branch
    this.hub.detach(this, previous)
    this.branch = newBranch
    this.hub.route(this)
    let moved = false
    try {
      const answer = await this.join(async () => {
        const result = await this.hub.invoke('MoveToBranch', this.documentId, previous, newBranch)
        moved = true
        return result
      })
      this.emit('branch', [{ branch: newBranch, previous }])
      return answer
    } catch (e) {
      if (moved) {
        // The server moved us, then the connection dropped: we are on the new branch; the reconnect joins it.
        this.emit('branch', [{ branch: newBranch, previous }])
        throw e
      }
      this.hub.detach(this, newBranch)
      this.branch = previous
      this.hub.route(this)
      this.joinSafely()
      throw e
    }
  }

  // ---- HubMember ----

  /** @internal */
  connectionUp (): void {
    if (this.wantJoined && !this.destroyed) this.joinSafely()
  }

  /** @internal */
  connectionLost (): void {
    this.generation++
    this.joined = false
    this.inbox = null
    if (this.synced) { this.synced = false; this.emit('synced', [false]) }
    if (this.awareness !== null) {
      // Nobody will tell us when remote peers leave while we are away: forget them now.
      const others = Array.from(this.awareness.getStates().keys()).filter((c) => c !== this.doc.clientID)
      if (others.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, others, this)
    }
    this.setStatus(this.wantJoined && !this.destroyed ? 'connecting' : 'disconnected')
  }

  /** @internal */
  async beforeDisconnect (): Promise<void> {
    if (!this.joined) return
    this.joined = false
    if (this.awareness !== null) {
      // Tell the others we are gone rather than letting our cursor time out after 30 s.
      const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID],
        new Map([[this.doc.clientID, null]]) as unknown as Map<number, Record<string, unknown>>)
      try { await this.hub.invoke('Awareness', this.documentId, this.branch, update) } catch { /* best effort */ }
    }
    try { await this.hub.invoke('Leave', this.documentId, this.branch) } catch { /* best effort */ }
  }

  /** @internal */
  receive (kind: 'sync' | 'awareness', bytes: Uint8Array): void {
    if (this.inbox !== null) this.inbox.push([kind, bytes])
    else this.handle(kind, bytes, null)
  }

  // ---- internals ----

  private setStatus (status: ProviderStatus): void {
    if (this.status !== status) {
      this.status = status
      this.emit('status', [{ status }])
    }
    this.emit('change', [])
  }

  private joinSafely (): void {
    this.join(() => this.hub.invoke('Join', this.documentId, this.branch)).catch((e: unknown) => this.failJoin(e))
  }

  private failJoin (e: unknown): void {
    if (e instanceof StaleJoinError) return // the newer join reports for itself
    this.emit('error', [e])
    if (!this.hub.isConnected) return // the reconnect will join again
    if (isTransient(e)) {
      // The server is starting, stopping or reloading the branch: join again shortly.
      this.joinAttempts++
      setTimeout(() => {
        if (this.wantJoined && !this.joined && this.hub.isConnected) this.joinSafely()
      }, Math.min(2000, 100 * 2 ** Math.min(this.joinAttempts, 5)))
      return
    }
    // A refused join (no access, unknown document) will not get better by retrying.
    this.wantJoined = false
    this.setStatus('disconnected')
  }

  private async join (call: () => Promise<unknown>): Promise<JoinAnswer> {
    const generation = ++this.generation
    this.joined = false
    this.inbox = [] // the server's SyncStep1 arrives before the call completes
    this.setStatus('syncing')
    const result = await call()
    if (generation !== this.generation) throw new StaleJoinError('a newer join took over')
    this.joinAttempts = 0
    const answer: JoinAnswer = {
      headSeq: Number(field(result, 'headSeq') ?? 0),
      role: (field(result, 'role') as Role | undefined) ?? null,
      branch: String(field(result, 'branch') ?? this.branch)
    }
    const forkSeq = field(result, 'forkSeq')
    if (forkSeq !== undefined) answer.forkSeq = Number(forkSeq)
    this.headSeq = answer.headSeq
    if (this.role !== answer.role) { this.role = answer.role; this.emit('role', [this.role]) }

    // Re-send what the server never acknowledged, with the same ids, before answering its SyncStep1: the
    // server then already holds these updates and our SyncStep2 need not repeat them.
    const resent = this.pending.slice()
    const svOfResent = stateVectorOfUpdates(resent.map((p) => p.update))
    await Promise.all(resent.map((item) => this.sendUpdate(item)))
    if (generation !== this.generation) throw new StaleJoinError('a newer join took over')

    // While we were away the server told the others we left, with our awareness clock + 1; a state with an equal
    // clock would be ignored, so skip one clock silently (not joined yet: nothing is sent) and publish the next.
    const local = this.awareness?.getLocalState() ?? null
    if (local !== null) this.awareness!.setLocalState(local)

    this.joined = true
    const inbox = this.inbox ?? []
    this.inbox = null
    // Updates made while the resends were in flight were queued but not sent yet.
    for (const item of this.pending) if (!resent.includes(item)) this.sendUpdate(item)
    for (const [kind, bytes] of inbox) this.handle(kind, bytes, svOfResent)

    this.invokeSync(syncMessage(messageSyncStep1, Y.encodeStateVector(this.doc)), null)
      .catch((e: unknown) => this.emit('error', [e]))
    if (local !== null) this.awareness!.setLocalState(local) // sent by the awareness handler
    this.setStatus(this.synced ? 'connected' : 'syncing')
    return answer
  }

  private handle (kind: 'sync' | 'awareness', bytes: Uint8Array, svOfResent: Map<number, number> | null): void {
    try {
      if (kind === 'awareness') {
        // The server sends every current state on Join, so a newcomer learns about us without a resend.
        if (this.awareness !== null) awarenessProtocol.applyAwarenessUpdate(this.awareness, bytes, this)
        return
      }
      const decoder = decoding.createDecoder(bytes)
      const type = decoding.readVarUint(decoder)
      const payload = decoding.readVarUint8Array(decoder)
      switch (type) {
        case messageSyncStep1: {
          let serverSv = Y.decodeStateVector(payload)
          if (svOfResent !== null) serverSv = maxStateVector(serverSv, svOfResent)
          const diff = Y.encodeStateAsUpdate(this.doc, encodeStateVectorMap(serverSv))
          this.invokeSync(syncMessage(messageSyncStep2, diff), newUpdateId())
            .then((ack) => { this.noteSeq(ack) })
            .catch((e: unknown) => this.emit('error', [e]))
          break
        }
        case messageSyncStep2:
          Y.applyUpdate(this.doc, payload, this)
          if (!this.synced) {
            this.synced = true
            this.emit('synced', [true])
            if (this.joined) this.setStatus('connected')
          }
          break
        case messageUpdate:
          Y.applyUpdate(this.doc, payload, this)
          break
        default:
          throw new Error(`unknown sync message type ${type}`)
      }
    } catch (e) {
      this.emit('error', [e])
    }
  }

  private noteSeq (ack: unknown): number | null {
    const raw = field(ack, 'seq')
    if (raw === null || raw === undefined) return null
    const seq = Number(raw)
    if (seq > this.lastAckSeq) { this.lastAckSeq = seq; this.emit('change', []) }
    return seq
  }

  private invokeSync (message: Uint8Array, updateId: string | null): Promise<unknown> {
    return this.hub.invoke('Sync', this.documentId, this.branch, message, updateId)
  }

  private sendAwareness (update: Uint8Array): void {
    this.hub.invoke('Awareness', this.documentId, this.branch, update).catch((e: unknown) => this.emit('error', [e]))
  }

  private sendUpdate (item: PendingUpdate): Promise<void> {
    const sending = this.deliver(item)
    this.inflight.add(sending)
    void sending.finally(() => this.inflight.delete(sending))
    return sending
  }

  private async deliver (item: PendingUpdate): Promise<void> {
    try {
      const ack = await this.invokeSync(syncMessage(messageUpdate, item.update), item.id)
      const seq = this.noteSeq(ack)
      const i = this.pending.indexOf(item)
      if (i >= 0) this.pending.splice(i, 1)
      this.emit('ack', [{ updateId: item.id, seq }])
      this.emit('change', [])
    } catch (error) {
      // Stays pending and is re-sent by the next join: the connection dropped, or the branch was left meanwhile.
      if (!this.hub.isConnected || errorCode(error) === 'not_joined') return
      if (isTransient(error)) {
        // "unavailable" (shutting down, branch reloading) and "rate_limited" mean: the same update, later.
        item.attempts++
        setTimeout(() => {
          if (this.joined && this.pending.includes(item)) this.sendUpdate(item)
        }, Math.min(2000, 50 * 2 ** Math.min(item.attempts, 6)))
        return
      }
      // The server refused it: retrying cannot help, so report it and drop it.
      const i = this.pending.indexOf(item)
      if (i >= 0) this.pending.splice(i, 1)
      this.emit('refused', [{ updateId: item.id, error, code: errorCode(error) }])
      this.emit('change', [])
    }
  }
}
