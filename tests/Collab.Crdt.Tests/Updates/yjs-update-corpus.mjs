// Writes yjs-update-corpus.jsonl.gz: results of the real yjs (pinned in tests/js) for mergeUpdates, diffUpdate,
// encodeStateVectorFromUpdate and convertUpdateFormatV2ToV1/V1ToV2 on random multi-peer sessions and on hand-made odd inputs. One JSON object a line:
// { kind: 'merge' | 'diff' | 'sv' | 'v2' | 'v1v2', inputs: [hex], sv?: hex, expected: hex, odd?: true }. Deterministic (seeded).
// `odd` marks hand-made inputs that yjs merges but a document would reject.
// Regenerate from the repository root:  npm ci --prefix tests/js && node tests/Collab.Crdt.Tests/Updates/yjs-update-corpus.mjs
import fs from 'node:fs'
import zlib from 'node:zlib'

const Y = await import(new URL('../../js/node_modules/yjs/dist/yjs.mjs', import.meta.url))
const out = []
const hex = u => Buffer.from(u).toString('hex')
const H = h => new Uint8Array(Buffer.from(h, 'hex'))
let seed = 1
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
const ri = n => Math.floor(rnd() * n)
const pick = a => a[ri(a.length)]
const shuffle = a => { const b = a.slice(); for (let i = b.length - 1; i > 0; i--) { const j = ri(i + 1); [b[i], b[j]] = [b[j], b[i]] } return b }
const merge = inputs => out.push({ kind: 'merge', inputs: inputs.map(hex), expected: hex(Y.mergeUpdates(inputs)) })
const diff = (u, sv) => out.push({ kind: 'diff', inputs: [hex(u)], sv: hex(sv), expected: hex(Y.diffUpdate(u, sv)) })
const sv = u => out.push({ kind: 'sv', inputs: [hex(u)], expected: hex(Y.encodeStateVectorFromUpdate(u)) })
const randomSv = full => { const m = new Map(); for (const [c, to] of Y.parseUpdateMeta(full).to) if (rnd() < 0.8) m.set(c, ri(to + 2)); return Y.encodeStateVector(m) }

const strs = ['a', 'hello', '😀', 'x😀y', '🎉🎉', 'é', 'עברית', 'e\u0301', '漢字', ' ']
const v2 = u => out.push({ kind: 'v2', inputs: [hex(u)], expected: hex(Y.convertUpdateFormatV2ToV1(u)) })
const v1v2 = u => out.push({ kind: 'v1v2', inputs: [hex(u)], expected: hex(Y.convertUpdateFormatV1ToV2(u)) })
function session (ops, kinds) {
  const gc = rnd() < 0.5
  const docs = [0, 1, 2].map(i => { const d = new Y.Doc({ gc }); d.clientID = 1 + ri(5) * 1000 + i; return d })
  const updates = []
  const updatesV2 = []
  docs.forEach(d => d.on('update', u => updates.push(u)))
  docs.forEach(d => d.on('updateV2', u => updatesV2.push(u)))
  const checkpoints = []
  for (let i = 0; i < ops; i++) {
    const d = pick(docs); const t = d.getText('t'); const a = d.getArray('a'); const m = d.getMap('m')
    d.transact(() => {
      switch (pick(kinds)) {
        case 'text': t.insert(ri(t.length + 1), pick(strs), rnd() < 0.2 ? { bold: true } : undefined); break
        case 'del': if (t.length > 0) { const p = ri(t.length); t.delete(p, 1 + ri(Math.min(4, t.length - p))) } break
        case 'format': if (t.length > 1) t.format(0, 1 + ri(t.length - 1), { italic: rnd() < 0.5 ? true : null }); break
        case 'embed': t.insertEmbed(ri(t.length + 1), { image: 'u' + ri(9) }); break
        case 'map': m.set('k' + ri(3), pick([1, 'v', { o: [1, 2.5] }, null, true, new Uint8Array([1, 2]), 2 ** 40])); if (rnd() < 0.2) m.delete('k' + ri(3)); break
        case 'array': a.insert(ri(a.length + 1), [1, 'two', { three: 3 }, [4], -0.5].slice(0, 1 + ri(5))); break
        case 'adel': if (a.length > 0) { const p = ri(a.length); a.delete(p, 1 + ri(a.length - p)) } break
        case 'xml': { const e = new Y.XmlElement('p'); d.getXmlFragment('x').insert(0, [e, new Y.XmlHook('hk')]); e.setAttribute('c', 'v'); e.insert(0, [new Y.XmlText('hi😀')]); break }
        case 'subdoc': a.insert(0, [new Y.Doc({ guid: 'sub' + ri(5), autoLoad: rnd() < 0.5 })]); break
        case 'nested': { const inner = new Y.Text('in😀ner'); m.set('t' + ri(2), inner); inner.insert(2, 'Q'); break }
      }
    })
    if (rnd() < 0.3) { const x = pick(docs), y = pick(docs); Y.applyUpdate(y, Y.encodeStateAsUpdate(x, Y.encodeStateVector(y))) }
    if (rnd() < 0.3) checkpoints.push(Y.encodeStateVector(pick(docs)))
  }
  for (const x of docs) for (const y of docs) Y.applyUpdate(y, Y.encodeStateAsUpdate(x))
  if (rnd() < 0.5) { v2(Y.encodeStateAsUpdateV2(docs[0])); updatesV2.filter(() => rnd() < 0.2).forEach(v2); v2(Y.mergeUpdatesV2(updatesV2)) }
  return { updates, full: Y.encodeStateAsUpdate(docs[0]), checkpoints }
}

const allKinds = ['text', 'text', 'del', 'format', 'embed', 'map', 'array', 'adel', 'xml', 'subdoc', 'nested']
for (let c = 0; c < 80; c++) {
  const { updates, full, checkpoints } = session(1 + ri(30), c % 2 ? allKinds : ['text', 'text', 'del', 'format'])
  const subset = shuffle(updates.filter(() => rnd() < 0.6))
  merge(updates); merge(subset); merge(shuffle(updates))
  merge([Y.mergeUpdates(updates.slice(0, updates.length >> 1)), full, ...updates.slice(updates.length >> 1)])
  for (const s of checkpoints.concat([new Uint8Array([0])])) { diff(full, s); diff(Y.mergeUpdates(subset), s) }
  for (let k = 0; k < 2; k++) { const s = randomSv(full); const d = Y.diffUpdate(full, s); diff(full, s); merge([d, ...subset]); sv(d) }
  sv(full); sv(Y.mergeUpdates(subset)); subset.slice(0, 2).forEach(sv)
  v1v2(full); v1v2(Y.mergeUpdates(subset)); subset.slice(0, 2).forEach(v1v2)
}

// Many inputs (64 and more take another path in our merge), with GC'd full states among them.
for (let c = 0; c < 2; c++) {
  const { updates, full } = session(150, ['text', 'text', 'del'])
  merge(shuffle(updates.concat([full]))); merge(updates.concat([full]))
}

// Merges where GC runs and items start at the same ids (per-transaction updates of a GC'd doc mixed with diffs of
// its full state): yjs's sort comparator is inconsistent there, so only V8's exact algorithm reproduces the bytes.
for (let c = 0; c < 4; c++) {
  const d = new Y.Doc({ gc: true }); d.clientID = 5 + c; const us = []; d.on('update', u => us.push(u))
  const t = d.getText('t')
  for (let i = 0; i < 120; i++) { if (rnd() < 0.6 || t.length < 4) t.insert(ri(t.length + 1), 'ab'.slice(0, 1 + ri(2))); else t.delete(ri(t.length - 2), 1 + ri(2)) }
  const full = Y.encodeStateAsUpdate(d)
  const end = Y.parseUpdateMeta(full).to.get(d.clientID)
  const inputs = us.slice()
  for (let k = 0; k < 40; k++) inputs.push(Y.diffUpdate(full, Y.encodeStateVector(new Map([[d.clientID, ri(end)]]))))
  const mixed = shuffle(inputs)
  for (const n of [mixed.length, 70, 63]) merge(mixed.slice(0, n))
}

// Hand-made odd inputs: zero-length structs, clients out of order or repeated, leading skips, odd delete sets.
const firstOdd = out.length
const zeroLen = new Uint8Array([1, 3, 1, 0, 4, 1, 1, 116, 0, 0, 0, 0, 2, 0])
const gcRun = new Uint8Array([1, 1, 1, 0, 0, 3, 0])
const unordered = new Uint8Array([2, 1, 1, 0, 0, 2, 1, 5, 0, 0, 3, 0])
const reordered = new Uint8Array([2, 1, 5, 0, 0, 2, 1, 1, 2, 0, 3, 0])
const repeated = new Uint8Array([3, 1, 1, 0, 0, 2, 1, 5, 0, 0, 3, 1, 1, 4, 0, 1, 0])
const leadingSkip = new Uint8Array([1, 2, 1, 0, 10, 3, 0, 2, 0])
const ds1 = new Uint8Array([0, 3, 5, 2, 9, 1, 2, 0, 5, 3, 1, 0, 5, 2, 0, 0, 3, 1, 4, 2])
const ds2 = new Uint8Array([0, 2, 3, 1, 7, 0, 5, 2, 4, 2, 1, 1])
for (const c of [[zeroLen, gcRun, zeroLen], [gcRun, zeroLen], [unordered, reordered], [reordered, unordered], [repeated, unordered], [ds1, ds2], [ds2, ds1], [ds1, ds1]]) merge(c)
for (const u of [unordered, reordered, repeated, leadingSkip]) { sv(u); diff(u, H('020101050a')); diff(u, H('00')) }
diff(ds1, H('00'))
for (let i = firstOdd; i < out.length; i++) out[i].odd = true

fs.writeFileSync(new URL('./yjs-update-corpus.jsonl.gz', import.meta.url), zlib.gzipSync(out.map(o => JSON.stringify(o)).join('\n') + '\n', { level: 9 }))
console.log(`${out.length} cases`)
