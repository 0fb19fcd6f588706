// Golden fixtures from the real yjs (version pinned in package-lock.json).
// Usage: node gen-fixtures.mjs <out-dir>     (writes <out-dir>/fixtures.json; deterministic: fixed client ids and seeds)
//
// docs[]: a receiver Y.Doc (client 999, gc = receiverGc) applies `updates` in order; `after[i]` is what yjs reports
//         after update i (only the last one unless the fixture is stepwise): encodeStateAsUpdate, encodeStateVector and
//         the content of each root. The C# tests do the same and must agree byte for byte and value for value.
// ops[]:  document-free operations: mergeUpdates, diffUpdate, encodeStateVectorFromUpdate with yjs's results.
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { b64, unb64, tag, docContent, prng } from './lib/content.mjs'

const outDir = process.argv[2]
if (!outDir) throw new Error('usage: node gen-fixtures.mjs <out-dir>')

const docs = []
const ops = []

const mk = (clientID, gc = true) => {
  const d = new Y.Doc({ gc })
  d.clientID = clientID
  return d
}

/** Every update of a doc's own (local) transactions, in order; also appended to `global` when given. */
const record = (doc, global) => {
  const updates = []
  doc.on('update', (u, origin, d, tr) => {
    if (tr.local) { updates.push(u); if (global) global.push(u) }
  })
  return updates
}

const sync = (...ds) => {
  for (const a of ds) for (const b of ds) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
}

const addDoc = (name, description, { roots, updates, receiverGc = true, stepwise = false }) => {
  const receiver = mk(999, receiverGc)
  const after = []
  updates.forEach((u, i) => {
    Y.applyUpdate(receiver, u)
    if (stepwise || i === updates.length - 1) {
      after.push({
        index: i,
        state: b64(Y.encodeStateAsUpdate(receiver)),
        stateV2: b64(Y.encodeStateAsUpdateV2(receiver)),
        stateVector: b64(Y.encodeStateVector(receiver)),
        content: docContent(receiver, roots)
      })
    }
  })
  docs.push({ name, description, receiverGc, roots, updates: updates.map(b64), updatesV2: updates.map((u) => b64(Y.convertUpdateFormatV1ToV2(u))), after })
}

const bothGc = (name, description, build) => {
  for (const gc of [true, false]) {
    const r = build(gc)
    addDoc(`${name}.${gc ? 'gc' : 'nogc'}`, description, { ...r, receiverGc: gc })
  }
}

// ---------- String, Deleted (gc) / kept deleted content (no gc) ----------
bothGc('text-insert-delete', 'String content, splits, deletes; Deleted content when gc is on', (gc) => {
  const d = mk(1, gc)
  const t = d.getText('text')
  t.insert(0, 'hello world')
  t.delete(1, 2)
  t.insert(3, 'XYZ')
  d.transact(() => { t.insert(0, '>> '); t.delete(6, 4); t.insert(t.length, '!') })
  t.delete(0, 1)
  return { roots: [{ name: 'text', kind: 'text' }], updates: [Y.encodeStateAsUpdate(d)] }
})

// ---------- Format, Embed, attributes ----------
bothGc('text-formats-embeds', 'Format (set, change, remove), Embed with and without attributes, object-valued attributes', (gc) => {
  const d = mk(2, gc)
  const t = d.getText('rich')
  t.insert(0, 'Hello world, formatted text', { bold: true })
  t.format(0, 5, { italic: true })
  t.format(2, 3, { bold: null })
  t.insert(6, 'linked ', { link: { href: 'https://example.com', title: 'x' } })
  t.insertEmbed(3, { image: 'a.png', width: 10 })
  t.insertEmbed(0, { formula: 'e=mc^2' }, { color: '#f00' })
  t.format(10, 12, { size: 14, font: 'serif' })
  t.delete(8, 6)
  t.insert(t.length, '\n', { header: 1 })
  t.applyDelta([{ retain: 4 }, { insert: 'Δ', attributes: { code: true } }, { retain: 3, attributes: { underline: true } }, { delete: 2 }])
  return { roots: [{ name: 'rich', kind: 'text' }], updates: [Y.encodeStateAsUpdate(d)] }
})

bothGc('text-concurrent-formats', 'Two clients format overlapping ranges and type at the same place concurrently', (gc) => {
  const a = mk(10, gc); const b = mk(11, gc)
  a.getText('t').insert(0, 'The quick brown fox')
  sync(a, b)
  a.getText('t').format(4, 11, { bold: true })
  b.getText('t').format(10, 9, { italic: true })
  a.getText('t').insert(10, 'AAA')
  b.getText('t').insert(10, 'BBB', { code: true })
  b.getText('t').delete(0, 4)
  sync(a, b)
  a.getText('t').format(0, 30, { bold: null })
  sync(a, b)
  return { roots: [{ name: 't', kind: 'text' }], updates: [Y.encodeStateAsUpdate(a), Y.encodeStateAsUpdate(b)] }
})

// ---------- Unicode ----------
bothGc('text-unicode', 'Emoji, surrogate pairs, ZWJ and skin tones, combining marks, RTL, BOM, astral symbols, surrogate splits', (gc) => {
  const d = mk(3, gc)
  const t = d.getText('u')
  t.insert(0, '\uFEFFstart 😀👍🏽 e\u0301 שלום עולם مرحبا 𝄞 👨\u200D👩\u200D👧 end')
  t.insert(8, '中文')
  t.delete(7, 1) // leaves the trailing half of 😀: yjs writes U+FFFD on both sides of a split pair
  t.insert(11, 'x') // inside 👍 (a surrogate pair)
  t.insert(t.length, 'Ω≈ç√∫˜µ≤≥÷ 🏳️‍🌈', { lang: 'עברית' })
  t.delete(t.length - 3, 1)
  return { roots: [{ name: 'u', kind: 'text' }], updates: [Y.encodeStateAsUpdate(d)] }
})

// ---------- Any (every value kind), Binary ----------
const anyValues = () => ({
  null: null,
  undefined,
  true: true,
  false: false,
  zero: 0,
  negZero: -0,
  minusOne: -1,
  int: 42,
  int31max: 2 ** 31 - 1,
  int31min: -(2 ** 31 - 1),
  int31over: 2 ** 31,
  int32neg: -(2 ** 31),
  safeMax: Number.MAX_SAFE_INTEGER,
  half: 0.5,
  tenth: 0.1,
  big: 1e300,
  tiny: -5e-324,
  f32: 2 ** 32,
  nan: NaN,
  inf: Infinity,
  ninf: -Infinity,
  str: 'string with "quotes" and ünïcödé 🎉',
  empty: '',
  obj: { a: [1, { b: null, c: 'x' }], nested: { deeper: { deepest: [true, false, 1.5] } } },
  arr: [1, 'two', 3.25, null, [], {}],
  emptyObj: {},
  emptyArr: [],
  bigint: 2n ** 63n - 1n,
  bigneg: -(2n ** 40n),
  bytes: new Uint8Array([0, 1, 2, 253, 254, 255])
})

bothGc('map-any', 'Every lib0 any kind as map values (ContentAny), Uint8Array (ContentBinary), overwritten and deleted keys', (gc) => {
  const d = mk(4, gc)
  const m = d.getMap('map')
  d.transact(() => { for (const [k, v] of Object.entries(anyValues())) m.set(k, v) })
  m.set('int', 43)
  m.set('int', 'forty-four')
  m.set('gone', 1)
  m.delete('gone')
  m.set('u8', new Uint8Array(300).map((_, i) => i % 256))
  m.set('innerBytes', { data: new Uint8Array([9, 8, 7]) })
  return { roots: [{ name: 'map', kind: 'map' }], updates: [Y.encodeStateAsUpdate(d)] }
})

bothGc('array-any', 'ContentAny runs split by inserts and deletes, Binary elements, single values', (gc) => {
  const d = mk(5, gc)
  const a = d.getArray('array')
  a.push(Object.values(anyValues()).filter((v) => v !== undefined && typeof v !== 'bigint' && !(v instanceof Uint8Array)))
  a.insert(3, ['inserted', 7])
  a.delete(10, 4)
  a.push([new Uint8Array([1, 2, 3]), new Uint8Array(0)])
  a.unshift([{ first: true }])
  d.transact(() => { a.delete(0, 2); a.insert(1, [-1, -2, -3]) })
  a.push([[1, [2, [3, [4]]]]])
  return { roots: [{ name: 'array', kind: 'array' }], updates: [Y.encodeStateAsUpdate(d)] }
})

// ---------- Type (all 7 refs, nested) ----------
bothGc('types-nested', 'All seven type refs nested in maps, arrays and text; deep nesting', (gc) => {
  const d = mk(6, gc)
  const root = d.getMap('root')
  d.transact(() => {
    const arr = new Y.Array(); root.set('array', arr); arr.push([1, 'a'])
    const map = new Y.Map(); root.set('map', map); map.set('k', 'v'); map.set('n', 2)
    const text = new Y.Text(); root.set('text', text); text.insert(0, 'nested text', { bold: true })
    const el = new Y.XmlElement('section'); root.set('element', el); el.setAttribute('id', 's1')
    el.insert(0, [new Y.XmlText('inside')])
    const frag = new Y.XmlFragment(); root.set('fragment', frag); frag.insert(0, [new Y.XmlElement('p')])
    const hook = new Y.XmlHook('custom-hook'); root.set('hook', hook); hook.set('prop', 'value')
    const xt = new Y.XmlText(); root.set('xmltext', xt); xt.insert(0, 'xml text')
  })
  // Deep nesting: map > array > map > array > text
  const outer = new Y.Array()
  root.set('deep', outer)
  const m1 = new Y.Map(); outer.push([m1])
  const a2 = new Y.Array(); m1.set('level2', a2)
  const t3 = new Y.Text(); a2.insert(0, ['before', t3, 'after'])
  t3.insert(0, 'deepest')
  // A type embedded in text.
  const host = d.getText('host')
  host.insert(0, 'ab')
  const embedded = new Y.Map(); host.insertEmbed(1, embedded); embedded.set('inEmbed', true)
  const list = d.getArray('list')
  const inner = new Y.Map(); list.push([inner, new Y.Array(), new Y.Text('t0')]); inner.set('x', 1)
  return {
    roots: [{ name: 'root', kind: 'map' }, { name: 'host', kind: 'text' }, { name: 'list', kind: 'array' }],
    updates: [Y.encodeStateAsUpdate(d)]
  }
})

// ---------- XML ----------
bothGc('xml', 'XmlFragment with elements, attributes (set, changed, removed), XmlText with formats and attributes, a hook', (gc) => {
  const d = mk(7, gc)
  const f = d.getXmlFragment('prosemirror')
  const p = new Y.XmlElement('paragraph')
  const h = new Y.XmlElement('heading')
  f.insert(0, [h, p])
  h.setAttribute('level', '1')
  const ht = new Y.XmlText(); h.insert(0, [ht]); ht.insert(0, 'Title')
  const pt = new Y.XmlText(); p.insert(0, [pt])
  pt.insert(0, 'Some bold and italic text')
  pt.format(5, 4, { strong: {} })
  pt.format(14, 6, { em: { class: 'x' } })
  p.setAttribute('align', 'left')
  p.setAttribute('align', 'center')
  p.setAttribute('temp', 'x')
  p.removeAttribute('temp')
  const list = new Y.XmlElement('bullet_list')
  f.insert(2, [list])
  for (let i = 0; i < 3; i++) {
    const li = new Y.XmlElement('list_item')
    list.push([li])
    const para = new Y.XmlElement('paragraph'); li.insert(0, [para])
    para.insert(0, [new Y.XmlText('item ' + i)])
  }
  list.delete(1, 1)
  pt.setAttribute('data-text', 'attr on text')
  return { roots: [{ name: 'prosemirror', kind: 'xml' }], updates: [Y.encodeStateAsUpdate(d)] }
})

bothGc('xml-hook', 'XmlHook inside a fragment and an element (preserved through decode/encode)', (gc) => {
  const d = mk(8, gc)
  const f = d.getXmlFragment('doc')
  const hook = new Y.XmlHook('widget')
  const el = new Y.XmlElement('div')
  f.insert(0, [new Y.XmlText('before'), hook, el])
  hook.set('kind', 'chart'); hook.set('data', [1, 2, 3])
  const inner = new Y.XmlHook('inner'); el.insert(0, [inner]); inner.set('x', null)
  return { roots: [{ name: 'doc', kind: 'xml' }], updates: [Y.encodeStateAsUpdate(d)] }
})

// ---------- Doc (subdocuments) ----------
bothGc('subdocs', 'ContentDoc: guid and options (autoLoad, meta, gc false) kept through decode/encode', (gc) => {
  const d = mk(9, gc)
  const m = d.getMap('docs')
  m.set('plain', new Y.Doc({ guid: 'sub-plain' }))
  m.set('auto', new Y.Doc({ guid: 'sub-auto', autoLoad: true }))
  m.set('meta', new Y.Doc({ guid: 'sub-meta', meta: { title: 'Meta', n: 1 } }))
  m.set('nogc', new Y.Doc({ guid: 'sub-nogc', gc: false }))
  const a = d.getArray('list')
  a.push([new Y.Doc({ guid: 'in-array' }), 'x'])
  m.set('replaced', new Y.Doc({ guid: 'replaced-1' }))
  m.set('replaced', new Y.Doc({ guid: 'replaced-2' }))
  return { roots: [{ name: 'docs', kind: 'map' }, { name: 'list', kind: 'array' }], updates: [Y.encodeStateAsUpdate(d)] }
})

// ---------- GC'd content ----------
bothGc('gc-deleted-types', 'Deleted types: children become GC structs (gc) or stay (no gc); deleted map values; ranges', (gc) => {
  const d = mk(11, gc)
  const m = d.getMap('m')
  const arr = new Y.Array(); m.set('arr', arr)
  arr.push([1, 2, 3]); arr.push(['x']); arr.insert(1, [new Y.Text('doomed text')])
  const sub = new Y.Map(); arr.push([sub]); sub.set('a', 'b'); sub.set('a', 'c')
  m.set('arr', 'replaced')
  const list = d.getArray('list')
  list.push(['keep', new Y.Map(), 'keep2'])
  list.get(1).set('will', 'go')
  list.delete(1, 1)
  const t = d.getText('t')
  t.insert(0, 'abcdefghijklmnopqrstuvwxyz')
  t.delete(2, 20)
  t.insert(2, 'MID')
  t.delete(0, 1)
  return {
    roots: [{ name: 'm', kind: 'map' }, { name: 'list', kind: 'array' }, { name: 't', kind: 'text' }],
    updates: [Y.encodeStateAsUpdate(d)]
  }
})

// A source with gc off read by a receiver with gc on: the receiver collects what the update still carries.
{
  const d = mk(12, false)
  const m = d.getMap('m')
  const arr = new Y.Array(); m.set('arr', arr); arr.push(['a', 'b', new Y.Map()])
  m.delete('arr')
  d.getText('t').insert(0, 'deleted later'); d.getText('t').delete(0, 8)
  addDoc('gc-on-receiver-of-nogc-source', 'Receiver with gc on collects deleted content carried by a gc-off update', {
    roots: [{ name: 'm', kind: 'map' }, { name: 't', kind: 'text' }], updates: [Y.encodeStateAsUpdate(d)], receiverGc: true
  })
}

// ---------- JSON content (ref 2): yjs 13 never writes it, old documents do. Hand-encoded. ----------
{
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // one client
  encoding.writeVarUint(e, 2) // two structs
  encoding.writeVarUint(e, 77) // client
  encoding.writeVarUint(e, 0) // first clock
  encoding.writeUint8(e, 2) // ContentJSON, no origins, no parentSub
  encoding.writeVarUint(e, 1) // parent is a root...
  encoding.writeVarString(e, 'legacy') // ...named 'legacy'
  const elems = ['{"a":1,"b":[true,null]}', '"str"', 'undefined', '[1,2.5]', '42', 'null']
  encoding.writeVarUint(e, elems.length)
  for (const s of elems) encoding.writeVarString(e, s)
  encoding.writeUint8(e, 2 | 0x80) // ContentJSON with an origin: the previous struct's last element
  encoding.writeVarUint(e, 77); encoding.writeVarUint(e, elems.length - 1)
  encoding.writeVarUint(e, 2)
  encoding.writeVarString(e, '"after"'); encoding.writeVarString(e, '{}')
  encoding.writeVarUint(e, 0) // empty delete set
  const u1 = encoding.toUint8Array(e)
  const e2 = encoding.createEncoder()
  encoding.writeVarUint(e2, 1); encoding.writeVarUint(e2, 1)
  encoding.writeVarUint(e2, 78); encoding.writeVarUint(e2, 0)
  encoding.writeUint8(e2, 2 | 0x20) // ContentJSON with parentSub
  encoding.writeVarUint(e2, 1); encoding.writeVarString(e2, 'legacyMap'); encoding.writeVarString(e2, 'key')
  encoding.writeVarUint(e2, 1); encoding.writeVarString(e2, '{"nested":{"x":"y"}}')
  encoding.writeVarUint(e2, 1); encoding.writeVarUint(e2, 77); encoding.writeVarUint(e2, 1); encoding.writeVarUint(e2, 1); encoding.writeVarUint(e2, 1) // delete 77:[1,2)
  const u2 = encoding.toUint8Array(e2)
  for (const gc of [true, false]) {
    addDoc(`json-content.${gc ? 'gc' : 'nogc'}`, 'Hand-encoded ContentJSON (ref 2) in an array and a map, partly deleted', {
      roots: [{ name: 'legacy', kind: 'array' }, { name: 'legacyMap', kind: 'map' }], updates: [u1, u2], receiverGc: gc
    })
  }
}

// ---------- Out-of-order delivery: pending structs and pending deletes ----------
const historyOf = () => {
  const a = mk(20); const b = mk(21)
  const causal = []
  const ua = record(a, causal); const ub = record(b, causal)
  const ta = a.getText('t'); const tb = b.getText('t')
  ta.insert(0, 'first ')
  ta.insert(6, 'second ')
  Y.applyUpdate(b, ua[0]); Y.applyUpdate(b, ua[1])
  tb.insert(3, '[b]') // origin in a's first update
  ta.insert(0, 'zero ')
  ta.delete(2, 6) // deletes across a's items
  Y.applyUpdate(a, ub[0])
  ta.delete(8, 2) // may delete b's chars
  a.getMap('m').set('k', 'a1')
  tb.insert(0, 'B-')
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
  b.getMap('m').set('k', 'b1')
  tb.delete(1, 3)
  // interleave the two streams in causal order of emission
  return { ua, ub, causal }
}
{
  const { ua, ub, causal } = historyOf()
  const roots = [{ name: 't', kind: 'text' }, { name: 'm', kind: 'map' }]
  const all = [...ua, ...ub]
  addDoc('out-of-order-reversed', 'Every transaction update delivered in reverse: all pending until the first arrives', {
    roots, updates: [...all].reverse(), stepwise: true
  })
  const r = prng(2024)
  const shuffled = [...all]
  for (let i = shuffled.length - 1; i > 0; i--) { const j = r.int(0, i); [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]] }
  addDoc('out-of-order-shuffled-duplicates', 'Shuffled delivery with duplicates (seed 2024)', {
    roots, updates: [...shuffled, shuffled[1], shuffled[3], ...shuffled.slice(0, 3)], stepwise: true
  })
  addDoc('causal-order', 'The same updates in causal order', { roots, updates: causal, stepwise: true })
  // pending deletes: a delete-only update before the inserts it deletes
  const deleteOnly = ua.filter((u) => Y.decodeUpdate(u).structs.length === 0)
  addDoc('pending-delete-first', 'Delete-only updates arrive before the items it deletes (pending delete set)', {
    roots, updates: [...deleteOnly, ...all], stepwise: true
  })
  // gc off receiver, reversed
  addDoc('out-of-order-reversed-nogc', 'Reverse delivery into a gc-off receiver', {
    roots, updates: [...all].reverse(), stepwise: true, receiverGc: false
  })

  // ---------- document-free operations ----------
  const op = (name, kind, args, result) => ops.push({ name, kind, ...args, result: b64(result) })
  op('merge-all-in-order', 'merge', { inputs: all.map(b64) }, Y.mergeUpdates(all))
  op('merge-all-reversed', 'merge', { inputs: [...all].reverse().map(b64) }, Y.mergeUpdates([...all].reverse()))
  op('merge-with-gap-skip', 'merge', { inputs: [ua[0], ua[2], ua[4]].map(b64) }, Y.mergeUpdates([ua[0], ua[2], ua[4]]))
  op('merge-single', 'merge', { inputs: [b64(ua[1])] }, Y.mergeUpdates([ua[1]]))
  op('merge-duplicates', 'merge', { inputs: [ua[0], ua[0], ub[0], ua[1]].map(b64) }, Y.mergeUpdates([ua[0], ua[0], ub[0], ua[1]]))
  const full = Y.mergeUpdates(all)
  for (const [i, u] of all.entries()) {
    op(`sv-from-update-${i}`, 'stateVector', { update: b64(u) }, Y.encodeStateVectorFromUpdate(u))
  }
  op('sv-from-merged', 'stateVector', { update: b64(full) }, Y.encodeStateVectorFromUpdate(full))
  const gapped = Y.mergeUpdates([ua[0], ua[2]])
  op('sv-from-gapped', 'stateVector', { update: b64(gapped) }, Y.encodeStateVectorFromUpdate(gapped))
  // diffs against several state vectors, including ones that fall inside a struct
  const svs = {
    empty: new Uint8Array([0]),
    afterFirst: Y.encodeStateVectorFromUpdate(ua[0]),
    mid: (() => { const e = encoding.createEncoder(); encoding.writeVarUint(e, 2); encoding.writeVarUint(e, 21); encoding.writeVarUint(e, 1); encoding.writeVarUint(e, 20); encoding.writeVarUint(e, 3); return encoding.toUint8Array(e) })(),
    full: Y.encodeStateVectorFromUpdate(full),
    unknownClient: (() => { const e = encoding.createEncoder(); encoding.writeVarUint(e, 1); encoding.writeVarUint(e, 5); encoding.writeVarUint(e, 100); return encoding.toUint8Array(e) })()
  }
  for (const [n, sv] of Object.entries(svs)) {
    op(`diff-${n}`, 'diff', { update: b64(full), stateVector: b64(sv) }, Y.diffUpdate(full, sv))
    op(`diff-unmerged-${n}`, 'diff', { update: b64(ua[1]), stateVector: b64(sv) }, Y.diffUpdate(ua[1], sv))
  }
}

// ---------- Skip (a merged update with a gap, applied to a doc) ----------
{
  const a = mk(30)
  const ua = record(a)
  for (let i = 0; i < 5; i++) a.getArray('arr').push(['v' + i])
  const merged = Y.mergeUpdates([ua[0], ua[2], ua[4]])
  addDoc('skip-gap-then-fill', 'A merged update with Skip structs stays pending until the gap is filled', {
    roots: [{ name: 'arr', kind: 'array' }], updates: [merged, ua[1], ua[3]], stepwise: true
  })
}

// ---------- Concurrent editing by several clients (YATA ordering), seeded ----------
for (const seed of [1, 2, 3]) {
  const r = prng(seed)
  const peers = [mk(100 + seed), mk(200 + seed), mk(50 + seed)]
  for (let round = 0; round < 30; round++) {
    for (const p of peers) {
      const t = p.getText('t'); const arr = p.getArray('a'); const m = p.getMap('m')
      const n = r.int(1, 3)
      for (let k = 0; k < n; k++) {
        const op = r.int(0, 5)
        if (op <= 2 || t.length === 0) t.insert(r.int(0, t.length), r.pick(['a', 'bc', 'déf', '😀', ' ', 'xyz']), r.next() < 0.3 ? { bold: true } : undefined)
        else if (op === 3) { const i = r.int(0, t.length - 1); t.delete(i, Math.min(r.int(1, 3), t.length - i)) }
        else if (op === 4) arr.insert(r.int(0, arr.length), [r.int(0, 100)])
        else m.set(r.pick(['x', 'y', 'z']), r.int(0, 9))
      }
    }
    if (r.next() < 0.4) sync(...peers)
    else { const [x, y] = [r.pick(peers), r.pick(peers)]; if (x !== y) sync(x, y) }
  }
  sync(...peers)
  addDoc(`concurrent-seed-${seed}`, 'Three clients edit text, array and map concurrently with partial syncs (YATA order, map winners)', {
    roots: [{ name: 't', kind: 'text' }, { name: 'a', kind: 'array' }, { name: 'm', kind: 'map' }],
    updates: peers.map((p) => Y.encodeStateAsUpdate(p))
  })
}

// ---------- document-free operations on every document fixture ----------
for (const d of docs) {
  const updates = d.updates.map((u) => new Uint8Array(Buffer.from(u, 'base64')))
  const state = new Uint8Array(Buffer.from(d.after[d.after.length - 1].state, 'base64'))
  const put = (name, kind, args, result) => ops.push({ name: `${d.name}/${name}`, kind, ...args, result: b64(result) })
  put('merge-updates', 'merge', { inputs: d.updates }, Y.mergeUpdates(updates))
  put('sv-of-state', 'stateVector', { update: b64(state) }, Y.encodeStateVectorFromUpdate(state))
  put('sv-of-first-update', 'stateVector', { update: d.updates[0] }, Y.encodeStateVectorFromUpdate(updates[0]))
  const firstSv = Y.encodeStateVectorFromUpdate(updates[0])
  put('diff-state-against-first', 'diff', { update: b64(state), stateVector: b64(firstSv) }, Y.diffUpdate(state, firstSv))
  const reloaded = new Y.Doc({ gc: d.receiverGc })
  Y.applyUpdate(reloaded, state)
  const stateV2 = Y.encodeStateAsUpdateV2(reloaded)
  put('v2-state-to-v1', 'v2tov1', { update: b64(stateV2) }, Y.convertUpdateFormatV2ToV1(stateV2))
  put('diff-state-against-empty', 'diff', { update: b64(state), stateVector: b64(new Uint8Array([0])) }, Y.diffUpdate(state, new Uint8Array([0])))
}

// ---------- snapshots (gc off): encodeSnapshot bytes, createDocFromSnapshot, toDelta at a snapshot ----------
const snapshots = []
{
  const d = mk(40, false)
  const t = d.getText('t'); const m = d.getMap('m'); const a = d.getArray('a'); const x = d.getXmlFragment('x')
  const snaps = []
  const take = () => snaps.push(Y.snapshot(d))
  take() // empty
  t.insert(0, 'Hello world'); m.set('k', 1); a.push([1, 2, 3]); x.insert(0, [new Y.XmlElement('p')])
  take()
  t.format(0, 5, { bold: true }); t.delete(5, 1); t.insert(5, ', dear'); m.set('k', 2); a.delete(1, 1)
  take()
  t.delete(0, 3); t.insertEmbed(2, { image: 'x.png' }); m.delete('k'); a.insert(0, ['first']); x.get(0).setAttribute('a', 'b')
  const other = mk(41, false); Y.applyUpdate(other, Y.encodeStateAsUpdate(d)); other.getText('t').insert(0, 'Ω'); Y.applyUpdate(d, Y.encodeStateAsUpdate(other))
  take()
  const roots = [{ name: 't', kind: 'text' }, { name: 'm', kind: 'map' }, { name: 'a', kind: 'array' }, { name: 'x', kind: 'xml' }]
  snapshots.push({
    name: 'snapshots-gc-off',
    state: b64(Y.encodeStateAsUpdate(d)),
    roots,
    snapshots: snaps.map((sn, i) => {
      const fromSnap = Y.createDocFromSnapshot(d, sn)
      return {
        snapshot: b64(Y.encodeSnapshot(sn)),
        docState: b64(Y.encodeStateAsUpdate(fromSnap)),
        content: docContent(fromSnap, roots),
        textDelta: tag(t.toDelta(sn)),
        textDeltaSincePrevious: i > 0 ? tag(t.toDelta(sn, snaps[i - 1])) : null
      }
    })
  })
}

// ---------- relative positions: encoded bytes, and where they point after more edits ----------
const relativePositions = []
{
  const d = mk(50)
  const t = d.getText('t'); const m = d.getMap('m')
  t.insert(0, 'abcdef'); t.insert(3, 'XY')
  const nested = new Y.Text(); m.set('nested', nested); nested.insert(0, 'nested text')
  const a = d.getArray('a'); a.push([1, 2, 3])
  const before = Y.encodeStateAsUpdate(d)
  const targets = [
    ['t', (doc) => doc.getText('t')], ['m.nested', (doc) => doc.getMap('m').get('nested')], ['a', (doc) => doc.getArray('a')]
  ]
  const positions = []
  for (const [path, get] of targets) {
    const type = get(d)
    for (let i = 0; i <= type.length; i++) {
      for (const assoc of [0, -1]) {
        const rp = Y.createRelativePositionFromTypeIndex(type, i, assoc)
        positions.push({ path, index: i, assoc, encoded: b64(Y.encodeRelativePosition(rp)) })
      }
    }
  }
  const u = record(d)
  t.insert(0, '>>'); t.delete(4, 3); t.insert(t.length, '!'); nested.delete(0, 7); a.insert(1, ['in']); a.delete(0, 1)
  const after = Y.mergeUpdates(u)
  for (const p of positions) {
    const abs = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(unb64(p.encoded)), d)
    p.after = abs ? { index: abs.index, assoc: abs.assoc } : null
  }
  relativePositions.push({ name: 'relative-positions', before: b64(before), after: b64(after), positions })
}

// ---------- coverage: every struct/content kind and every type ref must occur in some fixture ----------
const coverage = { structs: {}, types: {} }
const scan = (b64u, where) => {
  for (const st of Y.decodeUpdate(new Uint8Array(Buffer.from(b64u, 'base64'))).structs) {
    const k = st.constructor.name === 'Item' ? st.content.constructor.name : st.constructor.name
    coverage.structs[k] ??= where
    if (k === 'ContentType') coverage.types[st.content.type.constructor.name] ??= where
  }
}
for (const d of docs) { d.updates.forEach((u) => scan(u, d.name)); d.after.forEach((a) => scan(a.state, d.name)) }
for (const o of ops) if (o.kind !== 'stateVector') scan(o.result, o.name)
const wantStructs = ['GC', 'Skip', 'ContentDeleted', 'ContentJSON', 'ContentBinary', 'ContentString', 'ContentEmbed', 'ContentFormat', 'ContentType', 'ContentAny', 'ContentDoc']
const wantTypes = ['YArray', 'YMap', 'YText', 'YXmlElement', 'YXmlFragment', 'YXmlHook', 'YXmlText']
const missing = [...wantStructs.filter((k) => !coverage.structs[k]), ...wantTypes.filter((k) => !coverage.types[k])]
if (missing.length) throw new Error('fixtures no longer cover: ' + missing.join(', '))

const pkgLock = JSON.parse(readFileSync(new URL('./package-lock.json', import.meta.url), 'utf8'))
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'fixtures.json'), JSON.stringify({
  yjs: pkgLock.packages['node_modules/yjs'].version,
  coverage,
  docs,
  snapshots,
  relativePositions,
  ops
}, null, 1))
console.log(`wrote ${docs.length} document fixtures and ${ops.length} operation fixtures to ${join(outDir, 'fixtures.json')}`)
