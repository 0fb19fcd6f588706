// What a yjs document "contains", written as plain JSON that C# can compare value for value.
// JSON has no undefined, bigint, bytes, NaN/Infinity/-0 or subdocuments, so those are tagged objects:
//   { "$undefined": true }, { "$bigint": "123" }, { "$bytes": "<base64>" }, { "$num": "NaN" | "Infinity" | "-Infinity" | "-0" },
//   { "$doc": "<guid>" }
// The C# side (Compat/YjsJson.cs) turns the engine's object graph into the same shape.
import * as Y from 'yjs'

export const b64 = (u8) => Buffer.from(u8).toString('base64')
export const unb64 = (s) => new Uint8Array(Buffer.from(s, 'base64'))

/** Tagged JSON of a value that yjs returns from toJSON()/toDelta()/get(). */
export const tag = (v) => {
  if (v === undefined) return { $undefined: true }
  if (v === null) return null
  if (typeof v === 'bigint') return { $bigint: v.toString() }
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $num: 'NaN' }
    if (v === Infinity) return { $num: 'Infinity' }
    if (v === -Infinity) return { $num: '-Infinity' }
    if (Object.is(v, -0)) return { $num: '-0' }
    return v
  }
  if (typeof v === 'string' || typeof v === 'boolean') return v
  if (v instanceof Uint8Array) return { $bytes: b64(v) }
  if (v instanceof Y.Doc) return { $doc: v.guid }
  if (v instanceof Y.AbstractType) return tag(v.toJSON())
  if (Array.isArray(v)) return v.map(tag)
  if (typeof v === 'object') {
    const o = {}
    for (const k of Object.keys(v)) o[k] = tag(v[k])
    return o
  }
  throw new Error('cannot tag ' + typeof v)
}

/** Delta of a YText / YXmlText; embedded shared types appear as their toJSON(). */
export const deltaOf = (t) => tag(t.toDelta())

/** A structural view of an XML tree (element names, attributes, text deltas, hooks), independent of toString quirks. */
export const xmlTree = (node) => {
  if (node instanceof Y.XmlHook) return { hook: node.hookName, entries: tag(node.toJSON()) }
  if (node instanceof Y.XmlText) return { text: deltaOf(node), attrs: tag(node.getAttributes()) }
  if (node instanceof Y.XmlElement) {
    return { element: node.nodeName, attrs: tag(node.getAttributes()), children: node.toArray().map(xmlTree) }
  }
  if (node instanceof Y.XmlFragment) return { fragment: node.toArray().map(xmlTree) }
  throw new Error('not an xml node')
}

const hasHook = (node) => node instanceof Y.XmlHook || ((node instanceof Y.XmlFragment) && node.toArray().some(hasHook))

/**
 * Content of one root as yjs reports it. kind: text | map | array | xml.
 * Reading a root fixes its type, as it would in C#: call only after the updates are applied.
 */
export const rootContent = (doc, name, kind) => {
  switch (kind) {
    case 'text': {
      const t = doc.getText(name)
      return { json: tag(t.toJSON()), string: t.toString(), delta: deltaOf(t) }
    }
    case 'map': return { json: tag(doc.getMap(name).toJSON()) }
    case 'array': return { json: tag(doc.getArray(name).toJSON()) }
    case 'xml': {
      const f = doc.getXmlFragment(name)
      // A hook has no toString in yjs ("[object Object]"); compare hooks through the tree only.
      return hasHook(f) ? { xml: xmlTree(f) } : { json: tag(f.toJSON()), string: f.toString(), xml: xmlTree(f) }
    }
    default: throw new Error('unknown root kind ' + kind)
  }
}

export const docContent = (doc, roots) => {
  const out = {}
  for (const r of roots) out[r.name] = rootContent(doc, r.name, r.kind)
  return out
}

/** Small deterministic PRNG (mulberry32), so fixtures and sessions are reproducible from a seed. */
export const prng = (seed) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)]
  }
}
