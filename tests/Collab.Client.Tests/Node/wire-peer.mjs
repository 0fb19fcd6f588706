// A scriptable group of Yjs peers for the wire tests: stock yjs + y-protocols + @microsoft/signalr (MessagePack by
// default), connected to a Collab server through the browser sample's provider module (client-sample/web/src/provider,
// compiled to lib/provider by the sample's build). Each peer has its own hub connection.
//
// Protocol: one JSON command per stdin line, one JSON reply per stdout line, `{ "seq": n, "ok": true, ... }` or
// `{ "seq": n, "ok": false, "error": "..." }`. Peers are named by the caller.
//   open       { peer, server, token, doc, branch?, protocol?, hubOf? } → { role, clientId, connectionId }
//              (hubOf: open on another peer's hub connection instead of a new one)
//   insert     { peer, index, text } / delete { peer, index, length }
//   random     { peer, ops, seed, delayMs?, deleteRatio? }   random inserts and deletes (delayMs between ops, 0 = burst)
//   disconnect { peer } / connect { peer }
//   flush      { peer, timeoutMs? }   waits until every local update is acknowledged → { lastAckSeq }
//   synced     { peer, timeoutMs? }
//   text       { peer }               → { text, pending }
//   awareness  { peer, state }        sets the local awareness state
//   peers      { peer }               → { states: [[clientId, state], ...] } remote awareness states
//   applyUpdates { updates: [base64] } → { text, stateVector, pendingStructs } from a fresh Y.Doc
//   close      {}                     destroys every peer; the process then exits
import { serveCommands } from '../../js/command-loop.mjs'
import { Y, awarenessProtocol, CollabHub, CollabProvider } from '../../../client-sample/web/lib/provider/index.js'

const peers = new Map()
const errors = []

const rng = (seed) => {
  let s = seed >>> 0 || 1
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 0x100000000 }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const withTimeout = (promise, ms, what) => Promise.race([
  promise,
  sleep(ms).then(() => { throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`) })
])
// What a timeout message should say about a peer, so that a failure in CI explains itself.
const describe = (name) => {
  const p = peers.get(name)
  if (!p) return name
  const { provider } = p
  return `${name} (status ${provider.status}, synced ${provider.synced}, pending ${provider.pendingCount}, ` +
    `connection ${provider.hub.connection.state}; errors: ${errors.slice(-5).join(' | ') || 'none'})`
}
const peer = (name) => {
  const p = peers.get(name)
  if (!p) throw new Error(`no peer named ${name}`)
  return p
}

const commands = {
  async open ({ peer: name, server, token, doc, branch = 'main', protocol = 'msgpack', hubOf }) {
    const ydoc = new Y.Doc()
    const awareness = new awarenessProtocol.Awareness(ydoc)
    // hubOf: share another peer's connection (one connection, many documents).
    const hub = hubOf ? peer(hubOf).hub : new CollabHub({ serverUrl: server, getToken: () => token, protocol })
    const provider = new CollabProvider({ hub, documentId: doc, branch, doc: ydoc, awareness })
    hub.on('error', (e) => errors.push(`${name} hub: ${e?.message ?? e}`))
    provider.on('error', (e) => errors.push(`${name}: ${e?.message ?? e}`))
    provider.on('refused', ({ error }) => errors.push(`${name} refused: ${error?.message ?? error}`))
    peers.set(name, { ydoc, text: ydoc.getText('content'), awareness, hub, provider })
    const failed = new Promise((resolve, reject) => provider.on('error', (e) => { if (!provider.synced) reject(e) }))
    await withTimeout(Promise.race([provider.whenSynced(), failed]), 15000, `${name} to sync`)
    return { role: provider.role, clientId: ydoc.clientID, connectionId: hub.connection.connectionId }
  },
  insert ({ peer: name, index, text }) { peer(name).text.insert(index, text); return {} },
  delete ({ peer: name, index, length }) { peer(name).text.delete(index, length); return {} },
  async random ({ peer: name, ops, seed, delayMs = 0, deleteRatio = 0.3 }) {
    const { text } = peer(name)
    const next = rng(seed)
    const alphabet = 'abcdefghijklmnopqrstuvwxyz ✓é𝄞'
    for (let i = 0; i < ops; i++) {
      const len = text.length
      if (len > 0 && next() < deleteRatio) {
        const at = Math.floor(next() * len)
        text.delete(at, Math.min(len - at, 1 + Math.floor(next() * 3)))
      } else {
        const at = Math.floor(next() * (len + 1))
        let s = ''
        const n = 1 + Math.floor(next() * 4)
        for (let k = 0; k < n; k++) s += Array.from(alphabet)[Math.floor(next() * Array.from(alphabet).length)]
        text.insert(at, s)
      }
      if (delayMs > 0) await sleep(delayMs * next() * 2)
      else if (i % 10 === 0) await sleep(0) // let broadcasts from the others interleave
    }
    return {}
  },
  async disconnect ({ peer: name }) { await peer(name).hub.disconnect(); return {} },
  connect ({ peer: name }) { peer(name).hub.connect(); return {} },
  async flush ({ peer: name, timeoutMs = 15000 }) {
    const { provider } = peer(name)
    await withTimeout(provider.whenSynced(), timeoutMs, () => `${describe(name)} to sync`)
    while (provider.pendingCount > 0) await withTimeout(provider.whenFlushed(), timeoutMs, () => `${describe(name)} acks`)
    return { lastAckSeq: provider.lastAckSeq }
  },
  async synced ({ peer: name, timeoutMs = 15000 }) {
    await withTimeout(peer(name).provider.whenSynced(), timeoutMs, () => `${describe(name)} to sync`)
    return {}
  },
  text ({ peer: name }) {
    const p = peer(name)
    return { text: p.text.toString(), pending: p.provider.pendingCount, synced: p.provider.synced }
  },
  awareness ({ peer: name, state }) { peer(name).awareness.setLocalState(state); return {} },
  peers ({ peer: name }) {
    const p = peer(name)
    const states = []
    p.awareness.getStates().forEach((s, id) => { if (id !== p.ydoc.clientID) states.push([id, s]) })
    return { states }
  },
  // Applies base64 updates to a fresh Y.Doc with the stock yjs → { text, stateVector } (checks bytes written in C#).
  applyUpdates ({ updates }) {
    const ydoc = new Y.Doc()
    for (const u of updates) Y.applyUpdate(ydoc, new Uint8Array(Buffer.from(u, 'base64')))
    const sv = {}
    Y.decodeStateVector(Y.encodeStateVector(ydoc)).forEach((clock, client) => { sv[client] = clock })
    return { text: ydoc.getText('content').toString(), stateVector: sv, pendingStructs: ydoc.store.pendingStructs !== null }
  },
  errors () { return { errors: errors.splice(0) } },
  async close () {
    await Promise.all(Array.from(peers.values()).map((p) => p.provider.destroy().catch(() => {})))
    await Promise.all(Array.from(new Set(Array.from(peers.values(), (p) => p.hub))).map((h) => h.destroy().catch(() => {})))
    peers.clear()
    setTimeout(() => process.exit(0), 10)
    return {}
  }
}

serveCommands(commands)
