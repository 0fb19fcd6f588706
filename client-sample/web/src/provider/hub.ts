// One SignalR connection to the Collab hub, shared by every document the page (or process) has open.
// It routes the server's Sync / Awareness messages to the provider of (document, branch), re-joins every open
// provider after a reconnect, and passes BranchEvent notifications on.

import * as signalR from '@microsoft/signalr'
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack'
import { ObservableV2 } from 'lib0/observable'
import { hubPath, toBase64, toBytes, trimSlash } from './wire.js'

/** How the hub carries byte arrays: MessagePack `bin` (browsers: use this) or base64 strings in JSON. */
export type HubProtocolName = 'msgpack' | 'json'

/** State of the shared connection. */
export type HubStatus = 'connecting' | 'connected' | 'disconnected'

/** Options of {@link CollabHub}. */
export interface CollabHubOptions {
  /** The server's base URL, e.g. `http://localhost:5050` or `window.location.origin`. */
  serverUrl: string
  /** The JWT for the hub (development: `devSignIn`). Called on every (re)connect. */
  getToken: () => string | Promise<string>
  /** Hub protocol; default `msgpack`. */
  protocol?: HubProtocolName
  /** WebSockets only, without the negotiate round trip. */
  skipNegotiation?: boolean
  /** SignalR's own logging; default warnings. */
  logLevel?: signalR.LogLevel
  /** Start connecting at once (default true). */
  connect?: boolean
  /**
   * Follow the browser's `offline` / `online` events (default true where `window` exists): close the connection
   * when the browser says the network is gone (a socket can otherwise look open for a long time) and reconnect as
   * soon as it is back, instead of waiting for the next back-off step.
   */
  followBrowserNetwork?: boolean
}

/** A `BranchEvent` notification (docs/protocol.md): `branch-created`, `merged`, or a type added later. */
export interface BranchEvent {
  type: string
  [key: string]: unknown
}

/** What a provider gives the hub so that the hub can route to it. */
export interface HubMember {
  readonly documentId: string
  readonly branch: string
  /** A server message for this (document, branch). */
  receive: (kind: 'sync' | 'awareness', bytes: Uint8Array) => void
  /** The connection is up (again): join and resync. */
  connectionUp: () => void
  /** The connection dropped: go offline, keep pending edits. */
  connectionLost: () => void
  /** The connection is about to close on purpose: say goodbye (awareness removal, Leave). */
  beforeDisconnect: () => Promise<void>
}

type HubEvents = {
  status: (status: HubStatus) => void
  'branch-event': (documentId: string, event: BranchEvent) => void
  error: (error: unknown) => void
}

const memberKey = (documentId: string, branch: string): string => `${documentId}\u0000${branch}`

/** Builds a SignalR connection to the hub that never stops reconnecting. */
export const createHubConnection = (options: CollabHubOptions): signalR.HubConnection => {
  const skipNegotiation = options.skipNegotiation ?? false
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(trimSlash(options.serverUrl) + hubPath, {
      accessTokenFactory: options.getToken,
      // WebSockets first; long polling only when a proxy refuses the upgrade.
      transport: skipNegotiation
        ? signalR.HttpTransportType.WebSockets
        : signalR.HttpTransportType.WebSockets | signalR.HttpTransportType.LongPolling,
      skipNegotiation
    })
    .withAutomaticReconnect({
      // Never give up: a collaborator who goes offline for an hour must still get back in.
      nextRetryDelayInMilliseconds: (ctx) => Math.min(5000, 200 * 2 ** Math.min(ctx.previousRetryCount, 5))
    })
    .configureLogging(options.logLevel ?? signalR.LogLevel.Warning)
  if ((options.protocol ?? 'msgpack') === 'msgpack') builder = builder.withHubProtocol(new MessagePackHubProtocol())
  return builder.build()
}

/**
 * One hub connection for many documents. Open documents with {@link CollabProvider} (`new CollabProvider({ hub, … })`).
 *
 * Events: `status` (HubStatus), `branch-event` (documentId, event), `error` (unknown).
 */
export class CollabHub extends ObservableV2<HubEvents> {
  /** The SignalR connection (exposed for diagnostics). */
  readonly connection: signalR.HubConnection
  readonly protocol: HubProtocolName
  readonly serverUrl: string
  status: HubStatus = 'disconnected'
  private readonly members = new Map<string, HubMember>()
  private wantConnected = false
  private destroyed = false
  private startTimer: ReturnType<typeof setTimeout> | undefined

  constructor (options: CollabHubOptions) {
    super()
    this.serverUrl = options.serverUrl
    this.protocol = options.protocol ?? 'msgpack'
    this.connection = createHubConnection(options)
    this.connection.on('Sync', (documentId: string, branch: string, message: unknown) => {
      this.members.get(memberKey(documentId, branch))?.receive('sync', toBytes(message))
    })
    this.connection.on('Awareness', (documentId: string, branch: string, update: unknown) => {
      this.members.get(memberKey(documentId, branch))?.receive('awareness', toBytes(update))
    })
    this.connection.on('BranchEvent', (documentId: string, json: string) => {
      try {
        this.emit('branch-event', [documentId, JSON.parse(json) as BranchEvent])
      } catch (e) {
        this.emit('error', [e])
      }
    })
    this.connection.onreconnecting(() => this.lost())
    this.connection.onreconnected(() => this.up())
    this.connection.onclose(() => {
      this.lost()
      // withAutomaticReconnect gave up or the connection never came up: keep trying while wanted.
      if (this.wantConnected && !this.destroyed) this.scheduleStart()
    })
    if (options.followBrowserNetwork ?? typeof window !== 'undefined') {
      this.onOffline = () => { void this.pause() }
      this.onOnline = () => { if (this.paused) { this.paused = false; this.connect() } }
      window.addEventListener('offline', this.onOffline)
      window.addEventListener('online', this.onOnline)
    }
    if (options.connect ?? true) this.connect()
  }

  private paused = false
  private onOffline: (() => void) | null = null
  private onOnline: (() => void) | null = null

  /** The browser went offline: close without retrying until it is back online; providers keep their edits. */
  private async pause (): Promise<void> {
    if (!this.wantConnected) return
    this.paused = true
    this.wantConnected = false
    clearTimeout(this.startTimer)
    await this.connection.stop()
    this.lost()
  }

  /** Whether the connection is up. */
  get isConnected (): boolean { return this.connection.state === signalR.HubConnectionState.Connected }

  /** Starts (or resumes) the connection; every open provider re-joins. */
  connect (): void {
    this.wantConnected = true
    this.paused = false
    if (this.connection.state === signalR.HubConnectionState.Disconnected) void this.start()
  }

  /** Closes the connection on purpose; providers go offline and keep their edits pending. */
  async disconnect (): Promise<void> {
    this.wantConnected = false
    clearTimeout(this.startTimer)
    if (this.isConnected) await Promise.all(Array.from(this.members.values(), (m) => m.beforeDisconnect()))
    await this.connection.stop()
    this.lost()
  }

  /** Closes the connection for good. */
  override async destroy (): Promise<void> {
    this.destroyed = true
    if (this.onOffline !== null) window.removeEventListener('offline', this.onOffline)
    if (this.onOnline !== null) window.removeEventListener('online', this.onOnline)
    await this.disconnect()
    super.destroy()
  }

  /** Calls a hub method; byte arrays are converted for the JSON protocol. */
  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const converted = this.protocol === 'json' ? args.map((a) => (a instanceof Uint8Array ? toBase64(a) : a)) : args
    return this.connection.invoke<T>(method, ...converted)
  }

  /** Registers a provider for (document, branch); the hub tells it when the connection comes up or drops. */
  attach (member: HubMember): void {
    this.route(member)
    if (this.isConnected) member.connectionUp()
  }

  /** Routes (document, member.branch) to `member` without joining (MoveToBranch joins by itself). */
  route (member: HubMember): void {
    const key = memberKey(member.documentId, member.branch)
    const existing = this.members.get(key)
    if (existing !== undefined && existing !== member) {
      throw new Error(`${member.documentId}@${member.branch} is already open on this connection`)
    }
    this.members.set(key, member)
  }

  /** Stops routing (document, branch) to `member`. */
  detach (member: HubMember, branch = member.branch): void {
    const key = memberKey(member.documentId, branch)
    if (this.members.get(key) === member) this.members.delete(key)
  }

  private setStatus (status: HubStatus): void {
    if (this.status === status) return
    this.status = status
    this.emit('status', [status])
  }

  private scheduleStart (): void {
    clearTimeout(this.startTimer)
    this.startTimer = setTimeout(() => { if (this.wantConnected) void this.start() }, 1000)
  }

  private async start (): Promise<void> {
    this.setStatus('connecting')
    try {
      await this.connection.start()
    } catch (e) {
      this.emit('error', [e])
      this.setStatus('disconnected')
      if (this.wantConnected && !this.destroyed) this.scheduleStart()
      return
    }
    this.up()
  }

  private up (): void {
    this.setStatus('connected')
    for (const member of Array.from(this.members.values())) member.connectionUp()
  }

  private lost (): void {
    for (const member of Array.from(this.members.values())) member.connectionLost()
    this.setStatus(this.wantConnected && !this.destroyed ? 'connecting' : 'disconnected')
  }
}
