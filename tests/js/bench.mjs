// yjs on the same inputs as tests/Collab.Crdt.Benchmarks, for the ratio in docs/benchmarks.md.
// Usage: node --expose-gc bench.mjs [path/to/automerge-paper.json.gz] [--runs N]
//        node --expose-gc bench.mjs --trace NAME [--runs N]   (NAME: seph-blog1, friendsforever_flat, concurrent-friendsforever)
//        --ops abcd: only these operations (wall and process CPU time: user + system, all threads)
//        node bench.mjs --trace NAME --cold                    (the first replay in this fresh process, then a second)
// (a) local replay, one transaction per trace transaction (the concurrent trace: one doc per agent, as
// EditingTraceBenchmarks/TraceReplay.cs); (b) apply the emitted per-transaction updates one by one to a fresh doc;
// (c) encode the whole doc; (d) load the whole-doc update into an empty doc; heap of a loaded doc.
import * as Y from 'yjs'
import { existsSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHash } from 'node:crypto'
import { loadTrace } from './lib/traces.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const valueOf = (flag) => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined }
const runs = Number(valueOf('--runs') ?? 5)
const traceName = valueOf('--trace') ?? 'automerge-paper'
const cold = args.includes('--cold')
const positional = args.filter((a, i) => !a.startsWith('--') && !['--runs', '--trace', '--ops'].includes(args[i - 1]))
const defaultTrace = [join(here, `../../../shared/data/editing-traces/${traceName}.json.gz`), join(here, `../../shared/data/editing-traces/${traceName}.json.gz`)].find(existsSync)
const fromEnv = process.env.COLLAB_EDITING_TRACES ? join(process.env.COLLAB_EDITING_TRACES, `${traceName}.json.gz`) : undefined
const file = positional[0] ?? fromEnv ?? defaultTrace
if (!file || !existsSync(file)) throw new Error(`${traceName}.json.gz not found; pass its path`)
if (!cold && typeof global.gc !== 'function') throw new Error('run with node --expose-gc')

const applyPatches = (text, patches) => {
  for (const [pos, del, ins] of patches) {
    if (del > 0) text.delete(pos, del)
    if (ins.length > 0) text.insert(pos, ins)
  }
}

// (a), the same replay as TraceReplay.cs; returns the doc holding the final text, pushes emitted updates to `updates`.
const replay = (trace, updates) => {
  const concurrent = (trace.numAgents ?? 1) > 1 || trace.txns.some(t => (t.parents ?? []).length > 1)
  if (!concurrent) {
    const doc = new Y.Doc(); doc.clientID = 1
    if (updates) doc.on('update', (u) => updates.push(u))
    const text = doc.getText('text')
    for (const txn of trace.txns) doc.transact(() => applyPatches(text, txn.patches))
    return doc
  }
  const n = trace.numAgents
  const docs = []; const logs = []; const applied = []
  for (let a = 0; a < n; a++) {
    const d = new Y.Doc(); d.clientID = a + 1; docs.push(d)
    logs.push([]); applied.push(new Array(n).fill(0))
  }
  const versions = []
  let update = null
  const capture = (u) => { update = u }
  for (const txn of trace.txns) {
    const target = new Array(n).fill(0)
    for (const p of txn.parents) for (let a = 0; a < n; a++) target[a] = Math.max(target[a], versions[p][a])
    const me = txn.agent; const d = docs[me]
    for (let a = 0; a < n; a++) {
      if (a === me) continue
      while (applied[me][a] < target[a]) {
        const u = logs[a][applied[me][a]++]
        if (u) Y.applyUpdate(d, u)
      }
    }
    update = null
    d.on('update', capture)
    const text = d.getText('text')
    d.transact(() => applyPatches(text, txn.patches))
    d.off('update', capture)
    logs[me].push(update)
    if (update && updates) updates.push(update)
    target[me] = ++applied[me][me]
    versions.push(target)
  }
  return docs[trace.txns[trace.txns.length - 1].agent]
}

if (cold) {
  const time = (fn) => {
    const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint()
    const r = fn()
    const wall = Number(process.hrtime.bigint() - t0) / 1e6
    const c = process.cpuUsage(c0)
    return { r, wall, cpu: (c.user + c.system) / 1000 }
  }
  const t0 = process.hrtime.bigint()
  const trace = loadTrace(file)
  const parseMs = Number(process.hrtime.bigint() - t0) / 1e6
  const first = time(() => replay(trace))
  if (first.r.getText('text').toString() !== trace.endContent) throw new Error('replay does not reach endContent')
  const second = time(() => replay(trace))
  console.log(`${traceName}: cold first replay wall ${first.wall.toFixed(1)} ms CPU ${first.cpu.toFixed(1)} ms, second wall ${second.wall.toFixed(1)} ms CPU ${second.cpu.toFixed(1)} ms (trace parse ${parseMs.toFixed(1)} ms, process start to now ${(performance.now()).toFixed(0)} ms)`)
  process.exit(0)
}

const trace = loadTrace(file)
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)], min: s[0], mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length }
}
const ops = valueOf('--ops') ?? 'abcd'
const measure = (name, n, fn) => {
  if (!ops.includes(name[1])) return undefined
  fn() // warm-up
  const times = []; const cpus = []
  for (let i = 0; i < n; i++) {
    global.gc()
    const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint()
    fn()
    times.push(ms(t0))
    const c = process.cpuUsage(c0); cpus.push((c.user + c.system) / 1000)
  }
  const s = stats(times); const c = stats(cpus)
  console.log(`${name.padEnd(34)} wall median ${s.median.toFixed(2)} ms  min ${s.min.toFixed(2)} ms  CPU median ${c.median.toFixed(2)} ms  min ${c.min.toFixed(2)} ms  (n=${s.n})`)
  return { ...s, cpuMedian: c.median, cpuMin: c.min }
}

const emitted = []
const replayed = replay(trace, emitted)
if (replayed.getText('text').toString() !== trace.endContent) throw new Error('replay does not reach endContent')
const updates = emitted
const serverDoc = new Y.Doc()
for (const u of updates) Y.applyUpdate(serverDoc, u)
if (serverDoc.getText('text').toString() !== trace.endContent) throw new Error('the applied updates do not reach endContent')
const whole = Y.encodeStateAsUpdate(serverDoc)
const reference = { text: serverDoc.getText('text').toString() }
console.log(`${traceName}: ${updates.length} updates, whole-doc update ${whole.length} bytes, sha256 ${createHash('sha256').update(whole).digest('hex').slice(0, 16)}`)

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
results.localReplay = measure('(a) local replay', runs, () => { replay(trace) })
results.serverApply = measure(traceName === 'automerge-paper' ? `(b) apply ${updates.length} updates` : '(b) server apply', runs, () => {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
})
const loaded = new Y.Doc(); Y.applyUpdate(loaded, whole)
results.encode = measure('(c) encode whole doc', runs * 10, () => { Y.encodeStateAsUpdate(loaded) })
results.load = measure('(d) load whole-doc update', runs * 10, () => {
  const doc = new Y.Doc(); Y.applyUpdate(doc, whole); doc.getText('text')
})

console.log(`update bytes ${whole.length}, updates ${updates.length}, final text ${reference.text.length} chars`)
console.log(JSON.stringify({ trace: traceName, node: process.version, yjs: '13.6.33', runs, updateBytes: whole.length, updateCount: updates.length, heapBytes: heap, ...results }))
