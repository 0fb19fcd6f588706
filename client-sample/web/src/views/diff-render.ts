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

/** Plain text of rich markup (what a reader sees), for labels and tests. */
export const richToText = (markup: string): string => richToHtml(markup).textContent ?? ''

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

/** The diff inline: insertions coloured, deletions struck through, in document order. */
export const renderInline = (root: RootDiffView): Node[] =>
  joinSegments(root.segments).flatMap((s): Node[] => {
    if (s.op === 'insert') return [marked(root, 'ins', s.content, `inserted by ${author(s)}`)]
    if (s.op === 'delete') return [marked(root, 'del', s.content, `deleted by ${s.deletedBy?.author ?? '?'}`)]
    if (s.op === 'modify') return [marked(root, 'del', s.oldContent ?? '', 'before'), marked(root, 'ins', s.content, `changed by ${author(s)}`)]
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
    else if (s.op === 'modify') {
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
