// Rendering history for people: the rich-text root (an XML fragment, which the server renders as Yjs markup such as
// `<paragraph>one <bold>two</bold></paragraph>`) as read-only HTML, and a diff (GET /history/compare) of either root
// inline (insertions coloured, deletions struck through) or side by side (then → now). Used by the History and Review
// views. Every node is built with createElement/textContent: nothing from the document is parsed as HTML.

import { h } from '../app/dom.js'
import type { DiffSegment } from '../provider/index.js'

/** One root of a diff (GET /history/compare → roots[]). */
export interface RootDiffView { name: string, kind: string, segments: DiffSegment[] }

// Tiptap's node and mark names (y-prosemirror writes them as element names and text attributes; Yjs lower-cases
// element names) → HTML. Anything else becomes a span (inline) or a div (block) that keeps its text.
const blockTags: Record<string, keyof HTMLElementTagNameMap> = {
  paragraph: 'p', bulletlist: 'ul', orderedlist: 'ol', listitem: 'li', blockquote: 'blockquote', codeblock: 'pre'
}
const inlineTags: Record<string, keyof HTMLElementTagNameMap> = { bold: 'strong', italic: 'em', strike: 's', underline: 'u', code: 'code' }

const tagPattern = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+="[^"]*")*)\s*(\/?)>/g
const attrPattern = /([\w-]+)="([^"]*)"/g

const elementFor = (name: string, attrs: Map<string, string>): HTMLElement => {
  const block = blockTags[name]
  if (block !== undefined) return h(block)
  if (name === 'heading') {
    const level = Math.min(6, Math.max(1, Number(attrs.get('level') ?? '1') || 1))
    return h(`h${level}` as keyof HTMLElementTagNameMap)
  }
  if (name === 'link') {
    const href = attrs.get('href') ?? ''
    // Only ordinary web links are followable from a read-only view; the rest show their target as a tooltip.
    return /^(https?:|mailto:)/i.test(href)
      ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' })
      : h('span', { class: 'link-mark', title: href })
  }
  const inline = inlineTags[name]
  if (inline !== undefined) return h(inline)
  if (name === 'hardbreak') return h('br')
  if (name === 'horizontalrule') return h('hr')
  return h('span', { 'data-node': name })
}

/**
 * The rich-text root's markup as read-only HTML. The server does not escape text inside the markup (neither does
 * Yjs), so this is a tolerant reader: a tag that does not fit the open elements is kept as text.
 */
export const richToHtml = (markup: string): DocumentFragment => {
  const fragment = document.createDocumentFragment()
  const stack: Array<{ name: string, el: Node }> = [{ name: '', el: fragment }]
  const top = (): Node => stack[stack.length - 1]!.el
  let last = 0
  const text = (s: string): void => { if (s !== '') top().appendChild(document.createTextNode(s)) }
  for (const m of markup.matchAll(tagPattern)) {
    const [whole, closing, rawName, rawAttrs, selfClosing] = m
    const name = (rawName ?? '').toLowerCase()
    text(markup.slice(last, m.index))
    last = m.index + whole.length
    if (closing === '/') {
      const at = stack.map((s) => s.name).lastIndexOf(name)
      if (at <= 0) { text(whole); continue }
      stack.length = at
      continue
    }
    const attrs = new Map<string, string>()
    for (const a of (rawAttrs ?? '').matchAll(attrPattern)) attrs.set(a[1] ?? '', a[2] ?? '')
    const el = elementFor(name, attrs)
    top().appendChild(el)
    if (selfClosing !== '/' && el.tagName !== 'BR' && el.tagName !== 'HR') stack.push({ name, el })
  }
  text(markup.slice(last))
  return fragment
}

/** Plain text of rich markup as a reader sees it, each block (paragraph, heading, list item…) on its own line. */
export const richToLines = (markup: string): string => {
  const lines: string[] = []
  let line = ''
  const walk = (node: Node): void => {
    if (node.nodeType === Node.TEXT_NODE) { line += node.textContent ?? ''; return }
    const el = node as HTMLElement
    if (el.tagName === 'BR') { line += '\n'; return }
    node.childNodes.forEach(walk)
    if (el.tagName !== undefined && /^(P|H[1-6]|LI|PRE|BLOCKQUOTE|DIV)$/.test(el.tagName) && line !== '') { lines.push(line); line = '' }
  }
  richToHtml(markup).childNodes.forEach(walk)
  if (line !== '') lines.push(line)
  return lines.join('\n')
}

/** A word diff (longest common subsequence of words and the spaces between them); null when too long to be quick. */
export const wordDiff = (before: string, after: string): Array<{ op: 'equal' | 'insert' | 'delete', text: string }> | null => {
  const a = before.match(/\s+|[^\s]+/g) ?? []
  const b = after.match(/\s+|[^\s]+/g) ?? []
  if (a.length * b.length > 4_000_000) return null
  // lcs[i][j]: the common length of a[i..] and b[j..], in one flat array.
  const w = b.length + 1
  const lcs = new Uint32Array((a.length + 1) * w)
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!)
    }
  }
  const parts: Array<{ op: 'equal' | 'insert' | 'delete', text: string }> = []
  const push = (op: 'equal' | 'insert' | 'delete', text: string): void => {
    const last = parts[parts.length - 1]
    if (last !== undefined && last.op === op) last.text += text
    else parts.push({ op, text })
  }
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { push('equal', a[i]!); i++; j++ } else if (j < b.length && (i === a.length || lcs[i * w + j + 1]! >= lcs[(i + 1) * w + j]!)) { push('insert', b[j]!); j++ } else { push('delete', a[i]!); i++ }
  }
  return parts
}

const author = (s: DiffSegment): string => (s.insertedBy ?? s.deletedBy)?.author ?? ''

/** The server splits segments per event; neighbours of the same kind by the same author read as one. */
export const joinSegments = (segments: readonly DiffSegment[]): DiffSegment[] => {
  const joined: DiffSegment[] = []
  for (const s of segments) {
    const last = joined[joined.length - 1]
    if (last !== undefined && last.op === s.op && s.op !== 'modify' && author(last) === author(s)) joined[joined.length - 1] = { ...last, content: last.content + s.content }
    else joined.push(s)
  }
  return joined
}

const isXml = (root: RootDiffView): boolean => root.kind === 'xml'

/** A segment's content as nodes: text as is; markup as HTML blocks. */
const contentOf = (root: RootDiffView, content: string): Node => isXml(root) ? richToHtml(content) : document.createTextNode(content)

/** One changed piece, marked: `ins` / `del` inline for text, a marked block for rich text (its paragraphs inside). */
const marked = (root: RootDiffView, op: 'ins' | 'del', content: string, title: string): HTMLElement =>
  isXml(root)
    ? h('div', { class: `${op}-block`, title, 'data-op': op }, contentOf(root, content))
    : h(op, { title }, content)

/**
 * A rich-text block edited inside (the server reports the block as modified, old and new markup): its text with the
 * words deleted struck through and the words inserted coloured — `side` keeps only one version's words (side by side).
 * Formatting is not shown here; blocks stay on their own lines. Falls back to the whole blocks when very long.
 */
const modifiedBlock = (root: RootDiffView, s: DiffSegment, side: 'both' | 'before' | 'after'): Node[] => {
  const parts = wordDiff(richToLines(s.oldContent ?? ''), richToLines(s.content))
  if (parts === null) {
    const before = marked(root, 'del', s.oldContent ?? '', 'before')
    const after = marked(root, 'ins', s.content, `changed by ${author(s)}`)
    return side === 'before' ? [before] : side === 'after' ? [after] : [before, after]
  }
  const nodes = parts.flatMap((p): Node[] => {
    if (p.op === 'equal') return [document.createTextNode(p.text)]
    if (p.op === 'delete') return side === 'after' ? [] : [h('del', { title: 'deleted' }, p.text)]
    return side === 'before' ? [] : [h('ins', { title: `inserted by ${author(s)}` }, p.text)]
  })
  return [h('div', { class: 'mod-block', 'data-op': 'modify', title: `changed by ${author(s)}` }, ...nodes)]
}

/** The diff inline: insertions coloured, deletions struck through, in document order. */
export const renderInline = (root: RootDiffView): Node[] =>
  joinSegments(root.segments).flatMap((s): Node[] => {
    if (s.op === 'insert') return [marked(root, 'ins', s.content, `inserted by ${author(s)}`)]
    if (s.op === 'delete') return [marked(root, 'del', s.content, `deleted by ${s.deletedBy?.author ?? '?'}`)]
    if (s.op === 'modify') return isXml(root) ? modifiedBlock(root, s, 'both') : [marked(root, 'del', s.oldContent ?? '', 'before'), marked(root, 'ins', s.content, `changed by ${author(s)}`)]
    return [contentOf(root, s.content)]
  })

/**
 * The diff side by side: the earlier version on the left (deletions struck through), the later one on the right
 * (insertions coloured). Each column is a focusable region, so the keyboard reaches and scrolls both.
 */
export const renderSideBySide = (root: RootDiffView, leftLabel: string, rightLabel: string, idPrefix: string): HTMLElement => {
  const left: Node[] = []
  const right: Node[] = []
  for (const s of joinSegments(root.segments)) {
    if (s.op === 'insert') right.push(marked(root, 'ins', s.content, `inserted by ${author(s)}`))
    else if (s.op === 'delete') left.push(marked(root, 'del', s.content, `deleted by ${s.deletedBy?.author ?? '?'}`))
    else if (s.op === 'modify' && isXml(root)) {
      left.push(...modifiedBlock(root, s, 'before'))
      right.push(...modifiedBlock(root, s, 'after'))
    } else if (s.op === 'modify') {
      left.push(marked(root, 'del', s.oldContent ?? '', 'before'))
      right.push(marked(root, 'ins', s.content, `changed by ${author(s)}`))
    } else {
      left.push(contentOf(root, s.content))
      right.push(contentOf(root, s.content))
    }
  }
  const column = (side: 'before' | 'after', label: string, nodes: Node[]): HTMLElement => {
    const labelId = `${idPrefix}-${side}-label`
    return h('section', { class: `diff-column ${isXml(root) ? 'rich-view' : 'plain-view'}`, 'data-side': side, tabindex: 0, role: 'region', 'aria-labelledby': labelId },
      h('div', { class: 'cell-label', id: labelId }, label),
      h('div', { class: 'diff-body' }, ...nodes))
  }
  return h('div', { class: 'diff-sides' }, column('before', leftLabel, left), column('after', rightLabel, right))
}
