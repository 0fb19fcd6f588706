// The edit operations of the differential sessions, resolved against a peer's own document state.
// Indexes arrive as non-negative integers and are reduced modulo the current length, so the C# executor
// (Compat/Differential/SessionOps.cs) resolves them to the same positions with integer arithmetic only.
import * as Y from 'yjs'

const pos = (at, len) => at % (len + 1)
const span = (at, n, len, max) => {
  const i = at % len
  return [i, 1 + (n % Math.min(max, len - i))]
}

const newType = (kind) => {
  switch (kind) {
    case 'text': return new Y.Text()
    case 'array': return new Y.Array()
    case 'map': return new Y.Map()
    default: throw new Error('unknown type kind ' + kind)
  }
}

/** retain to a position, insert, then (room permitting) format a few units and delete one. */
const deltaFor = (o, len) => {
  const i = pos(o.at, len)
  const delta = [{ retain: i }, o.attrs ? { insert: o.text, attributes: o.attrs } : { insert: o.text }]
  const rest = len - i
  if (rest > 0) {
    const r = 1 + (o.n % Math.min(5, rest))
    delta.push({ retain: r, attributes: o.format })
    if (rest - r > 0) delta.push({ delete: 1 })
  }
  return delta
}

/** An edit inside a nested type, whichever kind it is. */
const editNested = (v, o) => {
  if (v instanceof Y.Text) v.insert(pos(o.at, v.length), o.text, o.attrs || undefined)
  else if (v instanceof Y.Array) v.insert(pos(o.at, v.length), [o.value])
  else if (v instanceof Y.Map) v.set('k' + (o.at % 3), o.value)
}

/** Applies one op to the doc's roots: text 't', map 'm', array 'a', xml fragment 'x'. */
export const applyOp = (doc, o) => {
  const t = doc.getText('t')
  const m = doc.getMap('m')
  const a = doc.getArray('a')
  const x = doc.getXmlFragment('x')
  switch (o.op) {
    case 'textInsert':
      if (o.attrs) t.insert(pos(o.at, t.length), o.text, o.attrs)
      else t.insert(pos(o.at, t.length), o.text)
      break
    case 'textDelete':
      if (t.length > 0) { const [i, c] = span(o.at, o.n, t.length, 8); t.delete(i, c) }
      break
    case 'textFormat':
      if (t.length > 0) { const [i, c] = span(o.at, o.n, t.length, 12); t.format(i, c, o.attrs) }
      break
    case 'textEmbed':
      t.insertEmbed(pos(o.at, t.length), o.embed)
      break
    case 'mapSet':
      m.set(o.key, o.value)
      break
    case 'mapDelete':
      m.delete(o.key)
      break
    case 'mapSetType':
      m.set(o.key, newType(o.type))
      break
    case 'nested':
      editNested(m.get(o.key), o)
      break
    case 'arrayInsert':
      a.insert(pos(o.at, a.length), o.values)
      break
    case 'arrayDelete':
      if (a.length > 0) { const [i, c] = span(o.at, o.n, a.length, 5); a.delete(i, c) }
      break
    case 'arrayInsertType':
      a.insert(pos(o.at, a.length), [newType(o.type)])
      break
    case 'xmlInsertElement': {
      const el = new Y.XmlElement(o.name)
      x.insert(pos(o.at, x.length), [el])
      if (o.attr) el.setAttribute(o.attr[0], o.attr[1])
      break
    }
    case 'xmlInsertText': {
      const xt = new Y.XmlText()
      x.insert(pos(o.at, x.length), [xt])
      xt.insert(0, o.text)
      break
    }
    case 'xmlEditChild':
      if (x.length > 0) {
        const child = x.get(o.at % x.length)
        if (child instanceof Y.XmlElement) child.setAttribute(o.key, o.value)
        else if (child instanceof Y.XmlText) child.insert(pos(o.at, child.length), o.value)
      }
      break
    case 'textApplyDelta':
      t.applyDelta(deltaFor(o, t.length))
      break
    case 'mapSetBytes':
      m.set(o.key, new Uint8Array(Buffer.from(o.bytes, 'base64')))
      break
    case 'arrayNested':
      if (a.length > 0) editNested(a.get(o.at % a.length), o)
      break
    case 'xmlNest':
      if (x.length > 0) {
        const child = x.get(o.at % x.length)
        if (child instanceof Y.XmlElement) {
          if (o.name) child.insert(pos(o.at, child.length), [new Y.XmlElement(o.name)])
          else { const xt = new Y.XmlText(); child.insert(pos(o.at, child.length), [xt]); xt.insert(0, o.text) }
        }
      }
      break
    case 'xmlDelete':
      if (x.length > 0) { const [i, c] = span(o.at, o.n, x.length, 2); x.delete(i, c) }
      break
    default:
      throw new Error('unknown op ' + o.op)
  }
}

export const sessionRoots = [
  { name: 't', kind: 'text' }, { name: 'm', kind: 'map' }, { name: 'a', kind: 'array' }, { name: 'x', kind: 'xml' }
]
