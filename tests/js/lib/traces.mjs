// Replays of the editing traces (../shared/data/editing-traces, see its README) into yjs.
import * as Y from 'yjs'
import { gunzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'

export const loadTrace = (file) => JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'))

const applyPatches = (text, patches) => {
  for (const [pos, del, ins] of patches) {
    if (del > 0) text.delete(pos, del)
    if (ins.length > 0) text.insert(pos, ins)
  }
}

/**
 * Sequential trace into one YText (client id 1, gc on), one transaction per trace transaction.
 * Returns the final text, the whole-document update and a SHA-256 over the per-transaction updates
 * (each as a 4-byte big-endian length then the bytes), so C# can check every emitted update without shipping them.
 */
export const replaySequential = (trace, { clientId = 1, keepUpdates = false } = {}) => {
  const doc = new Y.Doc()
  doc.clientID = clientId
  const text = doc.getText('text')
  const hash = createHash('sha256')
  const updates = []
  let count = 0
  doc.on('update', (u) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(u.length)
    hash.update(len); hash.update(u)
    if (keepUpdates) updates.push(u)
    count++
  })
  for (const txn of trace.txns) doc.transact(() => applyPatches(text, txn.patches))
  return { doc, text: text.toString(), update: Y.encodeStateAsUpdate(doc), updatesSha256: hash.digest('hex'), updateCount: count, updates }
}

/**
 * Concurrent trace: one doc per agent (client id = agent + 1). Before a transaction runs, its agent's doc is brought to
 * exactly the union of its parents' versions. Each agent's transactions form a chain, so a version is, per agent, how
 * many of that agent's transactions it includes (not a clock: a delete-only transaction does not advance the clock).
 * The other agents' per-transaction updates are applied up to that count. A doc that already holds more than its
 * parents is an error: the method would be wrong for this trace.
 */
export const replayConcurrent = (trace) => {
  const n = trace.numAgents
  const docs = []; const logs = []; const applied = []
  for (let a = 0; a < n; a++) {
    const d = new Y.Doc(); d.clientID = a + 1; docs.push(d)
    logs.push([]) // per agent: the update of each of its transactions (null when it changed nothing)
    applied.push(new Array(n).fill(0)) // per doc: how many of each agent's transactions it holds
  }
  const inOrder = [] // every update in trace order: causal, so a fresh doc never holds pending structs
  const versions = [] // per txn: per agent, how many of its transactions are included
  for (const txn of trace.txns) {
    const target = new Array(n).fill(0)
    for (const p of txn.parents) for (let a = 0; a < n; a++) target[a] = Math.max(target[a], versions[p][a])
    const me = txn.agent; const d = docs[me]
    for (let a = 0; a < n; a++) {
      if (a === me) {
        if (applied[me][a] !== target[a]) throw new Error(`agent ${me} doc holds ${applied[me][a]} own txns, parents say ${target[a]}`)
        continue
      }
      if (applied[me][a] > target[a]) throw new Error(`agent ${me} doc holds ${applied[me][a]} txns of agent ${a}, parents say ${target[a]}`)
      while (applied[me][a] < target[a]) {
        const u = logs[a][applied[me][a]++]
        if (u) Y.applyUpdate(d, u)
      }
    }
    let update = null
    const h = (u) => { update = u }
    d.on('update', h)
    d.transact(() => applyPatches(d.getText('text'), txn.patches))
    d.off('update', h)
    logs[me].push(update)
    if (update) inOrder.push(update)
    applied[me][me]++
    target[me] = applied[me][me]
    versions.push(target)
  }
  const merged = new Y.Doc()
  for (const u of inOrder) Y.applyUpdate(merged, u)
  const last = docs[trace.txns[trace.txns.length - 1].agent].getText('text').toString()
  return { text: merged.getText('text').toString(), lastAgentText: last }
}
