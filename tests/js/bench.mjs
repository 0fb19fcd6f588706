// yjs on the same inputs as tests/Collab.Crdt.Benchmarks, for the ratio in docs/benchmarks.md.
// Usage: node --expose-gc bench.mjs [path/to/automerge-paper.json.gz] [--runs N]
// (a) local replay, one transaction per trace transaction; (b) apply the per-transaction updates one by one to a fresh
// doc; (c) encode the whole doc; (d) load the whole-doc update into an empty doc; heap of a loaded doc.
import * as Y from 'yjs'
import { existsSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadTrace, replaySequential } from './lib/traces.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const runsIdx = args.indexOf('--runs')
const runs = runsIdx >= 0 ? Number(args[runsIdx + 1]) : 5
const positional = args.filter((a, i) => !a.startsWith('--') && (runsIdx < 0 || i !== runsIdx + 1))
const defaultTrace = [join(here, '../../../shared/data/editing-traces/automerge-paper.json.gz'), join(here, '../../shared/data/editing-traces/automerge-paper.json.gz')].find(existsSync)
const fromEnv = process.env.COLLAB_EDITING_TRACES ? join(process.env.COLLAB_EDITING_TRACES, 'automerge-paper.json.gz') : undefined
const file = positional[0] ?? fromEnv ?? defaultTrace
if (!file || !existsSync(file)) throw new Error('automerge-paper.json.gz not found; pass its path')
if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc')

const trace = loadTrace(file)
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)], min: s[0], mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length }
}
const measure = (name, n, fn) => {
  fn() // warm-up
  const times = []
  for (let i = 0; i < n; i++) { global.gc(); const t0 = process.hrtime.bigint(); fn(); times.push(ms(t0)) }
  const s = stats(times)
  console.log(`${name.padEnd(34)} median ${s.median.toFixed(2)} ms  min ${s.min.toFixed(2)} ms  (n=${s.n})`)
  return s
}

const reference = replaySequential(trace, { keepUpdates: true })
if (reference.text !== trace.endContent) throw new Error('replay does not reach endContent')
const updates = reference.updates
const whole = reference.update

// Heap of a loaded doc: heapUsed around loading several (kept alive), after full GCs, divided by their number.
const heapOfLoadedDoc = () => {
  const keep = []
  global.gc(); global.gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < 5; i++) { const d = new Y.Doc(); Y.applyUpdate(d, whole); d.getText('text').toString(); keep.push(d) }
  global.gc(); global.gc()
  const heap = Math.round((process.memoryUsage().heapUsed - before) / keep.length)
  console.log(`heap of loaded doc                 ${(heap / 1024 / 1024).toFixed(2)} MiB (${heap} bytes)`)
  return heap
}
const heap = heapOfLoadedDoc()

const results = {}
results.localReplay = measure('(a) local replay', runs, () => {
  const doc = new Y.Doc(); doc.clientID = 1
  const text = doc.getText('text')
  for (const txn of trace.txns) {
    doc.transact(() => {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) text.delete(pos, del)
        if (ins.length > 0) text.insert(pos, ins)
      }
    })
  }
})
results.serverApply = measure(`(b) apply ${updates.length} updates`, runs, () => {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
})
const loaded = new Y.Doc(); Y.applyUpdate(loaded, whole)
results.encode = measure('(c) encode whole doc', runs * 10, () => { Y.encodeStateAsUpdate(loaded) })
results.load = measure('(d) load whole-doc update', runs * 10, () => {
  const doc = new Y.Doc(); Y.applyUpdate(doc, whole); doc.getText('text')
})

console.log(`update bytes ${whole.length}, updates ${updates.length}, final text ${reference.text.length} chars`)
console.log(JSON.stringify({ node: process.version, yjs: '13.6.33', runs, updateBytes: whole.length, updateCount: updates.length, heapBytes: heap, ...results }))
