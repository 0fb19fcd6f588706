// History: the open branch's activity timeline and the document's named versions; either root — the plain text
// (root `content`, the code editor) or the rich text (XML fragment `rich`, shown as read-only HTML) — read-only at a
// chosen seq, its diff to now inline (insertions coloured, deletions struck through) or side by side (then | now),
// blame coloured by author (rich text: by block, who wrote each paragraph first); name the chosen seq as a version;
// restore a version onto the open branch (both roots: a version is the whole document).
// Reading content is open to every role; activity, compare and blame are for owners and auditors (the server says so).

import { colorsFor, h, messageOf, refreshWhenOpened } from '../app/dom.js'
import type { AppContext, View } from '../app/context.js'
import type { VersionInfo } from '../provider/index.js'
import { textName } from '../editors/code.js'
import { richFragmentName } from '../editors/rich-text.js'
import { renderInline, renderSideBySide, richToHtml } from './diff-render.js'

export const mountHistoryView = (root: HTMLElement, ctx: AppContext): View => {
  const seq = h('input', { id: 'history-seq', type: 'range', min: '0', max: '0', value: '0', 'aria-label': 'Seq to show' })
  const seqLabel = h('output', { id: 'history-seq-label' }, 'seq 0')
  const rootSelect = h('select', { id: 'history-root', 'aria-label': 'Which text' },
    new Option('plain text', textName), new Option('rich text', richFragmentName))
  const modeSelect = h('select', { id: 'history-mode', 'aria-label': 'Show' },
    new Option('text', 'text'), new Option('diff to now, inline', 'diff'), new Option('diff to now, side by side', 'sides'), new Option('blame', 'blame'))
  const show = h('button', { id: 'history-show', type: 'button' }, 'Show')
  const output = h('div', { id: 'history-output', class: 'history-output plain-view', 'aria-live': 'polite', tabindex: 0, role: 'region', 'aria-label': 'Document at the chosen seq' })
  const legend = h('p', { id: 'history-legend', class: 'hint' })
  const versionName = h('input', { id: 'version-name', placeholder: 'version name', 'aria-label': 'Version name', required: true })
  const nameButton = h('button', { id: 'version-save', type: 'submit' }, 'Name this seq')
  const nameForm = h('form', { class: 'row' }, versionName, nameButton)
  const versionList = h('ul', { id: 'versions', class: 'versions', 'aria-label': 'Named versions' })
  const timeline = h('ol', { id: 'activity', class: 'activity', 'aria-label': 'Activity' })
  root.replaceChildren(
    h('div', { class: 'row' }, seq, seqLabel), h('div', { class: 'row' }, rootSelect, modeSelect, show),
    output, legend, nameForm, h('h3', {}, 'Named versions'), versionList, h('h3', {}, 'Activity'), timeline)

  const chosen = (): number => Number(seq.value)
  seq.addEventListener('input', () => { seqLabel.textContent = `seq ${seq.value}` })

  const render = async (): Promise<void> => {
    const branch = ctx.branch()
    const at = chosen()
    const name = rootSelect.value
    const rich = name === richFragmentName
    legend.textContent = ''
    output.dataset.mode = modeSelect.value
    output.dataset.root = name
    output.dataset.seq = String(at)
    output.className = `history-output ${rich ? 'rich-view' : 'plain-view'}`
    if (modeSelect.value === 'text') {
      const content = await ctx.api.content(ctx.documentId, branch, at)
      const found = content.roots.find((r) => r.name === name)
      output.replaceChildren(rich ? richToHtml(found?.xml ?? '') : (found?.text ?? ''))
      legend.textContent = `${rich ? 'Rich' : 'Plain'} text at seq ${at}, read-only.`
    } else if (modeSelect.value === 'diff' || modeSelect.value === 'sides') {
      const diff = await ctx.api.compare(ctx.documentId, `${branch}@${at}`, branch)
      const found = diff.roots.find((r) => r.name === name) ?? { name, kind: rich ? 'xml' : 'text', segments: [] }
      output.replaceChildren(...(modeSelect.value === 'diff'
        ? renderInline(found)
        : [renderSideBySide(found, `seq ${at}`, `now (seq ${diff.head.seq})`, 'history-diff')]))
      legend.textContent = modeSelect.value === 'diff'
        ? `seq ${at} → now (seq ${diff.head.seq}): insertions coloured, deletions struck through.`
        : `Left: seq ${at}, deletions struck through. Right: now (seq ${diff.head.seq}), insertions coloured.`
    } else {
      const blame = await ctx.api.blame(ctx.documentId, branch, name, at)
      // One span per run of the same author (the server gives one range per event; for rich text, one per block).
      const ranges: typeof blame.roots[number]['ranges'] = []
      for (const r of blame.roots.find((x) => x.name === name)?.ranges ?? []) {
        const last = ranges[ranges.length - 1]
        if (!rich && last !== undefined && last.insertedBy?.author === r.insertedBy?.author) ranges[ranges.length - 1] = { ...last, content: last.content + r.content, length: last.length + r.length }
        else ranges.push(r)
      }
      const colors = colorsFor(blame.authors.map((a) => a.author))
      const colorOf = (author: string): string => colors.get(author) ?? '#555555'
      output.replaceChildren(...ranges.map((r) => {
        const author = r.insertedBy?.author ?? '?'
        const span = h(rich ? 'div' : 'span', { class: 'blame', 'data-author': author, title: `${author} · ${r.insertedBy?.branch ?? ''}@${r.insertedBy?.seq ?? ''}` },
          rich ? richToHtml(r.content) : r.content)
        span.style.background = colorOf(author) + '33'
        span.style.borderBottom = `2px solid ${colorOf(author)}`
        return span
      }))
      legend.replaceChildren(...blame.authors.map((a) => {
        const chip = h('span', { class: 'chip' }, `${a.author}: ${a.units}`)
        chip.style.background = colorOf(a.author) + '33'
        return chip
      }), rich ? ' Rich text: each block by who created it.' : '')
    }
  }
  show.addEventListener('click', () => { render().catch((e: unknown) => ctx.showError(`History: ${messageOf(e)}`)) })

  const versionItem = (v: VersionInfo): HTMLElement => {
    const canWrite = ctx.role() === 'owner' || ctx.role() === 'editor'
    const view = h('button', { type: 'button', class: 'link' }, `${v.name}`)
    view.addEventListener('click', () => {
      if (v.branch === ctx.branch()) { seq.value = String(v.seq); seqLabel.textContent = `seq ${v.seq}` }
      modeSelect.value = 'text'
      render().catch((e: unknown) => ctx.showError(`History: ${messageOf(e)}`))
    })
    const restore = h('button', { type: 'button', class: 'restore', disabled: !canWrite, title: canWrite ? `Restore onto ${ctx.branch()}` : 'Restoring needs the editor or owner role.' }, 'Restore')
    restore.addEventListener('click', () => {
      ctx.api.restoreVersion(ctx.documentId, v.name, ctx.branch())
        .then(async (r) => { ctx.notify(r.changed ? `Restored "${v.name}" onto ${r.branch} at seq ${r.seq ?? '?'}` : `${r.branch} already matches "${v.name}"`); await refresh() })
        .catch((e: unknown) => ctx.showError(`Restore failed: ${messageOf(e)}`))
    })
    return h('li', { 'data-version': v.name }, view, ` ${v.branch}@${v.seq} · ${v.createdBy} `, restore)
  }

  nameForm.addEventListener('submit', (e) => {
    e.preventDefault()
    const name = versionName.value.trim()
    ctx.api.nameVersion(ctx.documentId, name, ctx.branch(), chosen())
      .then(async (v) => { versionName.value = ''; ctx.notify(`Named ${v.branch}@${v.seq} "${v.name}"`); await refresh() })
      .catch((err: unknown) => ctx.showError(`Could not name the version: ${messageOf(err)}`))
  })

  const load = async (): Promise<void> => {
    const branch = await ctx.api.getBranch(ctx.documentId, ctx.branch())
    const atHead = seq.value === seq.max
    seq.max = String(branch.headSeq)
    if (atHead || chosen() > branch.headSeq) seq.value = String(branch.headSeq)
    seqLabel.textContent = `seq ${seq.value}`
    const canWrite = ctx.role() === 'owner' || ctx.role() === 'editor'
    for (const el of [versionName, nameButton]) el.toggleAttribute('disabled', !canWrite)
    const versions = await ctx.api.versions(ctx.documentId)
    versionList.replaceChildren(...versions.map(versionItem))
    if (ctx.role() === 'owner' || ctx.role() === 'auditor') {
      const activity = await ctx.api.activity(ctx.documentId, ctx.branch())
      timeline.replaceChildren(...activity.sessions.slice().reverse().map((s) => h('li', {},
        h('span', { class: 'chip' }, s.author), ` seq ${s.firstSeq}–${s.lastSeq} · ${s.events} event(s), +${s.charsInserted} −${s.deleted} · ${new Date(s.lastTime).toLocaleString()}`)))
    } else {
      timeline.replaceChildren(h('li', { class: 'hint' }, 'The activity timeline is for owners and auditors.'))
    }
  }
  let loading: Promise<void> | null = null
  const refresh = (): Promise<void> => {
    loading ??= load().catch(ctx.showError).finally(() => { loading = null })
    return loading
  }
  // The slider's range follows the branch when the panel is opened (edits do not refresh this view one by one).
  return { refresh, destroy: refreshWhenOpened(root, refresh) }
}
