// A long-lived yjs peer for the C# differential tests (Compat/NodePeer.cs).
// Protocol: one JSON request per stdin line, { id, cmd, ...args }; one JSON response per stdout line,
// { id, ok: true, result } or { id, ok: false, error }. Bytes travel as base64. Nothing else is written to stdout.
import * as Y from 'yjs'
import { createInterface } from 'node:readline'
import { b64, unb64, docContent, tag } from './lib/content.mjs'
import { applyOp } from './lib/ops.mjs'
import { loadTrace, replaySequential, replayConcurrent } from './lib/traces.mjs'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

const docs = new Map()
const eventLogs = new Map()
const awarenesses = new Map()
const getAwareness = (name) => {
  let a = awarenesses.get(name)
  if (!a) { a = new awarenessProtocol.Awareness(getDoc(name)); awarenesses.set(name, a) }
  return a
}
const getDoc = (name) => {
  const d = docs.get(name)
  if (!d) throw new Error('no doc ' + name)
  return d
}

/** Runs fn while collecting the updates the doc emits; one entry per transaction. */
const collecting = (doc, fn) => {
  const out = []
  const h = (u) => out.push(b64(u))
  doc.on('update', h)
  try { fn() } finally { doc.off('update', h) }
  return out
}

const commands = {
  ping: () => ({ yjs: 'ok' }),
  // Blocks the peer (busy wait) for ms milliseconds: lets the harness test its timeouts and its kill.
  block: ({ ms }) => { const end = Date.now() + ms; while (Date.now() < end) { /* busy */ } return null },
  // Several commands in one round trip, in order; results in the same order (the first error fails the batch).
  batch: ({ calls }) => calls.map((c) => {
    const fn = commands[c.cmd]
    if (!fn) throw new Error('unknown command ' + c.cmd)
    return fn(c)
  }),
  // observe: log the events of the session roots (drainEvents returns and clears the log).
  create: ({ doc, clientId, gc = true, observe = false }) => {
    const d = new Y.Doc({ gc })
    d.clientID = clientId
    docs.set(doc, d)
    if (observe) {
      const log = []
      eventLogs.set(doc, log)
      // Every transaction's update event, local or remote, in both formats.
      d.on('update', (u) => log.push({ root: 'update', v1: b64(u) }))
      d.on('updateV2', (u) => log.push({ root: 'updateV2', v2: b64(u) }))
      for (const name of ['t', 'a', 'x']) {
        const type = name === 't' ? d.getText(name) : name === 'a' ? d.getArray(name) : d.getXmlFragment(name)
        type.observe((e) => log.push({ root: name, delta: tag(e.delta) }))
      }
      d.getMap('m').observe((e) => {
        const keys = {}
        for (const [k, c] of e.changes.keys) keys[k] = c.action === 'add' ? { action: c.action } : { action: c.action, oldValue: tag(c.oldValue) }
        log.push({ root: 'm', keys })
      })
      // Deep events under m (nested texts, arrays, maps): path, then delta (keys for maps), sorted as yjs sorts them.
      d.getMap('m').observeDeep((events) => {
        log.push({
          root: 'm*',
          events: events.map((e) => e.target instanceof Y.Map
            ? { path: e.path, keys: Object.fromEntries([...e.changes.keys].map(([k, c]) => [k, c.action])) }
            : { path: e.path, delta: tag(e.delta) })
        })
      })
    }
    return null
  },
  drainEvents: ({ doc }) => {
    const log = eventLogs.get(doc)
    const out = log.splice(0, log.length)
    return out
  },
  destroy: ({ doc }) => {
    awarenesses.get(doc)?.destroy(); awarenesses.delete(doc)
    getDoc(doc).destroy(); docs.delete(doc)
    return null
  },
  // Each update applied on its own, in order, with origin 'remote'. Returns, per update, the updates of the local
  // transactions it triggered (yjs cleans up formatting after remote changes in a new local transaction, which a
  // provider broadcasts like any local edit).
  apply: ({ doc, updates }) => {
    const d = getDoc(doc)
    return updates.map((u) => {
      const extra = []
      const h = (upd, origin) => { if (origin !== 'remote') extra.push(b64(upd)) }
      d.on('update', h)
      try { Y.applyUpdate(d, unb64(u), 'remote') } finally { d.off('update', h) }
      return extra
    })
  },
  // txns: [[op, ...], ...]; one transaction per inner list; returns per transaction the updates emitted while it ran
  // (its own, if it changed anything, and any that observers caused).
  edit: ({ doc, txns }) => {
    const d = getDoc(doc)
    return txns.map((ops) => collecting(d, () => d.transact(() => { for (const o of ops) applyOp(d, o) })))
  },
  encode: ({ doc, stateVector }) => b64(stateVector ? Y.encodeStateAsUpdate(getDoc(doc), unb64(stateVector)) : Y.encodeStateAsUpdate(getDoc(doc))),
  stateVector: ({ doc }) => b64(Y.encodeStateVector(getDoc(doc))),
  snapshot: ({ doc }) => b64(Y.encodeSnapshot(Y.snapshot(getDoc(doc)))),
  content: ({ doc, roots }) => docContent(getDoc(doc), roots),
  merge: ({ updates }) => b64(Y.mergeUpdates(updates.map(unb64))),
  diff: ({ update, stateVector }) => b64(Y.diffUpdate(unb64(update), unb64(stateVector))),
  svFromUpdate: ({ update }) => b64(Y.encodeStateVectorFromUpdate(unb64(update))),
  // ---- stock y-protocols: sync ----
  syncStep1: ({ doc }) => {
    const e = encoding.createEncoder()
    syncProtocol.writeSyncStep1(e, getDoc(doc))
    return b64(encoding.toUint8Array(e))
  },
  syncUpdate: ({ update }) => {
    const e = encoding.createEncoder()
    syncProtocol.writeUpdate(e, unb64(update))
    return b64(encoding.toUint8Array(e))
  },
  // Handles one sync message as a provider does; returns { type, reply } (reply null when there is none).
  syncReceive: ({ doc, message }) => {
    const e = encoding.createEncoder()
    const type = syncProtocol.readSyncMessage(decoding.createDecoder(unb64(message)), e, getDoc(doc), 'remote')
    return { type, reply: encoding.length(e) > 0 ? b64(encoding.toUint8Array(e)) : null }
  },
  // ---- stock y-protocols: awareness ----
  awarenessSetLocal: ({ doc, state }) => { getAwareness(doc).setLocalState(state); return getAwareness(doc).clientID },
  awarenessEncode: ({ doc, clients }) => {
    const a = getAwareness(doc)
    return b64(awarenessProtocol.encodeAwarenessUpdate(a, clients ?? Array.from(a.getStates().keys())))
  },
  awarenessApply: ({ doc, update }) => {
    const changes = []
    const a = getAwareness(doc)
    const h = (c) => changes.push(c)
    a.on('change', h)
    awarenessProtocol.applyAwarenessUpdate(a, unb64(update), 'remote')
    a.off('change', h)
    return changes
  },
  awarenessStates: ({ doc }) => {
    const a = getAwareness(doc)
    const out = {}
    for (const [k, v] of a.getStates()) out[k] = { state: v, clock: a.meta.get(k)?.clock ?? null }
    return out
  },
  // A sequential editing trace replayed into yjs (client id 1), see lib/traces.mjs.
  traceSequential: ({ file }) => {
    const trace = loadTrace(file)
    const r = replaySequential(trace)
    return { text: r.text, endContentMatches: r.text === trace.endContent, update: b64(r.update), updatesSha256: r.updatesSha256, updateCount: r.updateCount }
  },
  traceConcurrent: ({ file }) => {
    const trace = loadTrace(file)
    const r = replayConcurrent(trace)
    return { text: r.text, endContentMatches: r.text === trace.endContent }
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
rl.on('line', (line) => {
  if (!line.trim()) return
  let id = null
  try {
    const req = JSON.parse(line)
    id = req.id
    const fn = commands[req.cmd]
    if (!fn) throw new Error('unknown command ' + req.cmd)
    process.stdout.write(JSON.stringify({ id, ok: true, result: fn(req) }) + '\n')
  } catch (e) {
    process.stdout.write(JSON.stringify({ id, ok: false, error: String(e && e.stack ? e.stack : e) }) + '\n')
  }
})
rl.on('close', () => process.exit(0))
