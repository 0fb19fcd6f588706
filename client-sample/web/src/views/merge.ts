// Merge: preview a merge of one branch into another (POST /merges dryRun: any role) with the conflicts side by side
// (base / ours = target / theirs = source / merged), then merge (owner; editors too when the document's
// `editorsMayMerge` setting is on — into unprotected branches, which the server checks).

import { h, messageOf } from '../app/dom.js'
import type { AppContext, View } from '../app/context.js'
import type { Conflict, MergeResult } from '../provider/index.js'

const cell = (label: string, text: string | null): HTMLElement =>
  h('div', { class: 'cell' }, h('div', { class: 'cell-label' }, label), h('pre', {}, text ?? '—'))

const conflictCard = (c: Conflict, source: string, target: string): HTMLElement =>
  h('li', { class: 'conflict', 'data-conflict': c.id },
    h('div', { class: 'conflict-head' }, `${c.kind} in ${c.root}${c.path.length > 0 ? '/' + c.path.join('/') : ''}${c.key !== null ? ' · ' + c.key : ''}`),
    h('div', { class: 'sides' },
      cell('base', c.base), cell(`ours (${target})`, c.ours), cell(`theirs (${source})`, c.theirs), cell('merged', c.merged)),
    h('div', { class: 'hint' }, `automatic outcome: ${c.automaticOutcome}`))

export const mountMergeView = (root: HTMLElement, ctx: AppContext): View => {
  const source = h('select', { id: 'merge-source', 'aria-label': 'Merge from' })
  const target = h('select', { id: 'merge-target', 'aria-label': 'Merge into' })
  const preview = h('button', { id: 'merge-preview', type: 'button' }, 'Preview')
  const message = h('input', { id: 'merge-message', placeholder: 'message (optional)', 'aria-label': 'Merge message' })
  const run = h('button', { id: 'merge-run', type: 'button', disabled: true }, 'Merge')
  const result = h('div', { id: 'merge-result', 'aria-live': 'polite' })
  root.replaceChildren(
    h('div', { class: 'row' }, h('label', {}, 'From', source), h('label', {}, 'into', target)),
    h('div', { class: 'row' }, preview, message, run),
    result)

  let last: MergeResult | null = null
  let editorsMayMerge = false

  const show = (r: MergeResult, done: boolean): void => {
    const s = r.source.branch
    const t = r.target.branch
    const summary = r.nothingToMerge
      ? `Nothing to merge: ${t} already has everything ${s} has.`
      : done
        ? `Merged ${s}@${r.source.seq} into ${t} as ${r.mergeId ?? '?'} with ${r.conflicts.length} conflict(s) resolved automatically.`
        : `${s}@${r.source.seq} → ${t}@${r.target.seq} (base ${r.base.branch}@${r.base.seq}): ${r.conflicts.length} conflict(s).`
    result.replaceChildren(
      h('p', { id: 'merge-summary', 'data-conflicts': r.conflicts.length }, summary),
      h('ol', { class: 'conflicts' }, ...r.conflicts.map((c) => conflictCard(c, s, t))))
  }

  const updateRun = (): void => {
    const may = ctx.role() === 'owner' || (ctx.role() === 'editor' && editorsMayMerge)
    const ready = last !== null && !last.nothingToMerge && last.source.branch === source.value && last.target.branch === target.value
    run.disabled = !may || !ready
    run.title = may ? (ready ? '' : 'Preview first.') : 'Merging needs the owner role, or the editor role when an owner lets editors merge (anyone can preview).'
  }

  preview.addEventListener('click', () => {
    if (source.value === target.value) { ctx.showError('Pick two different branches.'); return }
    ctx.api.merge(ctx.documentId, source.value, target.value, true)
      .then((r) => { last = r; show(r, false); updateRun() })
      .catch((e: unknown) => ctx.showError(`Preview failed: ${messageOf(e)}`))
  })
  run.addEventListener('click', () => {
    const text = message.value.trim()
    ctx.api.merge(ctx.documentId, source.value, target.value, false, text === '' ? undefined : text)
      .then((r) => { last = null; show(r, true); updateRun(); ctx.notify(r.mergeId === null ? 'Nothing to merge' : `Merged as ${r.mergeId}`) })
      .catch((e: unknown) => ctx.showError(`Merge failed: ${messageOf(e)}`))
  })
  for (const s of [source, target]) s.addEventListener('change', updateRun)

  let defaultsFor: string | null = null
  const refresh = async (): Promise<void> => {
    const [branches, settings] = await Promise.all([ctx.api.listBranches(ctx.documentId), ctx.api.settings(ctx.documentId)])
    editorsMayMerge = settings.editorsMayMerge
    const current = ctx.branch()
    const parent = branches.find((b) => b.name === current)?.parent ?? null
    // Keep the user's choice while on the same branch; a branch switch brings the defaults back.
    const keep = defaultsFor === current
    defaultsFor = current
    const keepSource = keep ? source.value : ''
    const keepTarget = keep ? target.value : ''
    source.replaceChildren(...branches.map((b) => new Option(b.name, b.name)))
    target.replaceChildren(...branches.map((b) => new Option(b.name, b.name)))
    // Default: the open branch into its parent (on main: the first other branch into main).
    const otherBranch = branches.find((b) => b.name !== current)?.name ?? current
    source.value = branches.some((b) => b.name === keepSource) && keepSource !== '' ? keepSource : (parent !== null ? current : otherBranch)
    target.value = branches.some((b) => b.name === keepTarget) && keepTarget !== '' ? keepTarget : (parent ?? current)
    updateRun()
  }
  return { refresh: () => refresh().catch(ctx.showError) }
}
