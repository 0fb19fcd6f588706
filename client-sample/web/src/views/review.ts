// Review: merge proposals and decisions. Open a proposal from the open branch to its parent, list the open ones, show
// one with its live preview (conflicts side by side: base / ours = target / theirs = source / merged) and its
// blockers, approve or request changes (editors and owners, never the author), merge (owner). Then the conflicts of
// the document's merges stay listed until an owner decides each one: keep merged, ours, theirs, or a custom text.

import { h, messageOf } from '../app/dom.js'
import type { AppContext, View } from '../app/context.js'
import type { Choice, Conflict, ConflictState, Proposal } from '../provider/index.js'

const cell = (label: string, text: string | null): HTMLElement =>
  h('div', { class: 'cell' }, h('div', { class: 'cell-label' }, label), h('pre', {}, text ?? '—'))

const where = (c: Conflict): string =>
  `${c.kind} in ${c.root}${c.path.length > 0 ? '/' + c.path.join('/') : ''}${c.key !== null ? ' · ' + c.key : ''}`

const sides = (c: Conflict, source: string, target: string): HTMLElement =>
  h('div', { class: 'sides' }, cell('base', c.base), cell(`ours (${target})`, c.ours), cell(`theirs (${source})`, c.theirs), cell('merged', c.merged))

export const mountReviewView = (root: HTMLElement, ctx: AppContext): View => {
  const title = h('input', { id: 'proposal-title', placeholder: 'proposal title', 'aria-label': 'Proposal title', required: true })
  const openButton = h('button', { id: 'proposal-open', type: 'submit' }, 'Propose')
  const openForm = h('form', { class: 'row' }, title, openButton)
  const openHint = h('p', { id: 'proposal-hint', class: 'hint' })
  const list = h('ul', { id: 'proposals', class: 'proposals', 'aria-label': 'Open proposals' })
  const detail = h('div', { id: 'proposal', 'aria-live': 'polite' })
  const conflictList = h('ol', { id: 'open-conflicts', class: 'conflicts', 'aria-label': 'Open conflicts' })
  const noConflicts = h('p', { class: 'hint' }, 'No open conflicts.')
  root.replaceChildren(openForm, openHint, h('h3', {}, 'Open proposals'), list, detail, h('h3', {}, 'Open conflicts'), conflictList, noConflicts)

  // The choices made but not submitted yet survive re-renders (notifications re-render the list).
  const drafts = new Map<string, { choice: Choice, text: string }>()
  let parent: string | null = null
  let selected: string | null = null
  const canWrite = (): boolean => ctx.role() === 'owner' || ctx.role() === 'editor'

  const showProposal = (p: Proposal): void => {
    const owner = ctx.role() === 'owner'
    const canReview = canWrite() && p.author !== ctx.user && p.state === 'open'
    const blockers = p.blockers ?? []
    const conflicts = p.preview?.conflicts ?? []
    const approve = h('button', { id: 'proposal-approve', type: 'button', disabled: !canReview, title: canReview ? '' : 'Editors and owners review; never the author.' }, 'Approve')
    const requestChanges = h('button', { id: 'proposal-request-changes', type: 'button', disabled: !canReview }, 'Request changes')
    const merge = h('button', { id: 'proposal-merge', type: 'button', disabled: !owner || p.state !== 'open' || blockers.length > 0, title: owner ? '' : 'Merging needs the owner role.' }, 'Merge')
    const close = h('button', { id: 'proposal-close', type: 'button', disabled: p.state !== 'open' || (!owner && p.author !== ctx.user) }, 'Close')
    const act = (work: Promise<Proposal>, done: (q: Proposal) => string): void => {
      work.then(async (q) => { ctx.notify(done(q)); await refresh() })
        .catch((e: unknown) => ctx.showError(messageOf(e)))
    }
    approve.addEventListener('click', () => act(ctx.api.reviewProposal(ctx.documentId, p.id, 'approve'), () => 'Approved'))
    requestChanges.addEventListener('click', () => act(ctx.api.reviewProposal(ctx.documentId, p.id, 'request-changes'), () => 'Changes requested'))
    merge.addEventListener('click', () => act(ctx.api.mergeProposal(ctx.documentId, p.id), (q) => q.mergeId === null ? 'Nothing to merge' : `Merged as ${q.mergeId}`))
    close.addEventListener('click', () => act(ctx.api.closeProposal(ctx.documentId, p.id), () => 'Closed'))
    detail.replaceChildren(h('div', { class: 'proposal' },
      h('h3', {}, p.title),
      h('p', { id: 'proposal-state', 'data-state': p.state, 'data-review': p.review, 'data-conflicts': conflicts.length },
        `${p.source} → ${p.target}${p.targetProtected ? ' (protected)' : ''} · by ${p.author} · ${p.state} · review: ${p.review}` +
        (p.summary === null ? '' : ` · ${p.summary.conflicts} conflict(s), ${p.summary.sourceAheadOfBase ?? '?'} ahead, ${p.summary.targetAheadOfBase ?? '?'} behind`) +
        (p.mergeId === null ? '' : ` · merged as ${p.mergeId} by ${p.mergedBy ?? '?'}`)),
      p.description === '' ? null : h('p', {}, p.description),
      blockers.length === 0 || p.state !== 'open' ? null : h('ul', { id: 'proposal-blockers', class: 'error' }, ...blockers.map((b) => h('li', {}, b))),
      h('ul', { class: 'reviews' }, ...p.reviews.map((r) => h('li', {}, `${r.reviewer}: ${r.verdict}${r.comment === null ? '' : ' — ' + r.comment}`))),
      h('ol', { class: 'conflicts' }, ...conflicts.map((c) => h('li', { class: 'conflict', 'data-conflict': c.id },
        h('div', { class: 'conflict-head' }, where(c)), sides(c, p.source, p.target),
        h('div', { class: 'hint' }, `automatic outcome: ${c.automaticOutcome}`)))),
      h('div', { class: 'row' }, approve, requestChanges, merge, close)))
  }

  /** One open conflict with its choices (owner): keep merged, ours, theirs or a custom text. */
  const conflictItem = (s: ConflictState): HTMLElement => {
    const c = s.conflict
    const owner = ctx.role() === 'owner'
    const name = `choice-${s.mergeId}-${c.id}`
    const draft = drafts.get(name) ?? { choice: 'merged', text: c.merged ?? '' }
    const radio = (value: Choice, label: string): HTMLElement => {
      const input = h('input', { type: 'radio', name, value, checked: value === draft.choice, disabled: !owner })
      input.addEventListener('change', () => { draft.choice = value; drafts.set(name, draft) })
      return h('label', {}, input, label)
    }
    const custom = h('textarea', { class: 'custom', rows: 2, 'aria-label': 'Custom text', disabled: !owner }, draft.text)
    custom.addEventListener('input', () => { draft.text = custom.value; drafts.set(name, draft) })
    const decide = h('button', { type: 'button', class: 'decide', disabled: !owner, title: owner ? '' : 'Deciding needs the owner role.' }, 'Decide')
    const item = h('li', { class: 'conflict open-conflict', 'data-merge': s.mergeId, 'data-conflict': c.id },
      h('div', { class: 'conflict-head' }, `${s.mergeId} · ${where(c)}`),
      sides(c, 'the source', s.mergeId.slice(0, s.mergeId.lastIndexOf('@'))),
      h('fieldset', { class: 'row' }, h('legend', {}, 'Keep'), radio('merged', 'merged'), radio('ours', 'ours'), radio('theirs', 'theirs'), radio('custom', 'custom'), custom),
      decide)
    decide.addEventListener('click', () => {
      const choice = draft.choice
      const decision = choice === 'custom' ? { conflictId: c.id, choice, content: custom.value } : { conflictId: c.id, choice }
      ctx.api.resolve(ctx.documentId, s.mergeId, [decision])
        .then(async (r) => { drafts.delete(name); ctx.notify(`Decided ${c.id}: ${choice} (${r.resolutionId})`); await loadConflicts() })
        .catch((e: unknown) => ctx.showError(`Decision failed: ${messageOf(e)}`))
    })
    return item
  }

  const loadConflicts = async (): Promise<void> => {
    const open = await ctx.api.conflicts(ctx.documentId, 'open')
    conflictList.dataset.count = String(open.length)
    conflictList.replaceChildren(...open.map(conflictItem))
    noConflicts.hidden = open.length > 0
  }

  const loadProposals = async (): Promise<void> => {
    const proposals = await ctx.api.listProposals(ctx.documentId, 'open')
    list.replaceChildren(...(proposals.length === 0 ? [h('li', { class: 'hint' }, 'None.')] : proposals.map((p) => {
      const button = h('button', { type: 'button', class: 'link', 'data-proposal': p.id }, `${p.title} — ${p.source} → ${p.target} (${p.review})`)
      button.addEventListener('click', () => { selected = p.id; void showSelected() })
      return h('li', {}, button)
    })))
  }

  const showSelected = async (): Promise<void> => {
    if (selected === null) { detail.replaceChildren(); return }
    try {
      showProposal(await ctx.api.getProposal(ctx.documentId, selected))
    } catch (e) { ctx.showError(`Could not load the proposal: ${messageOf(e)}`) }
  }

  openForm.addEventListener('submit', (e) => {
    e.preventDefault()
    if (parent === null) return
    ctx.api.openProposal(ctx.documentId, ctx.branch(), parent, title.value.trim())
      .then(async (p) => { title.value = ''; selected = p.id; ctx.notify(`Proposed ${p.source} → ${p.target}`); await refresh() })
      .catch((err: unknown) => ctx.showError(`Could not open the proposal: ${messageOf(err)}`))
  })

  let loading: Promise<void> | null = null
  let again = false
  const load = async (): Promise<void> => {
    const branches = await ctx.api.listBranches(ctx.documentId)
    parent = branches.find((b) => b.name === ctx.branch())?.parent ?? null
    const can = canWrite() && parent !== null
    for (const el of [title, openButton]) el.toggleAttribute('disabled', !can)
    openHint.textContent = parent === null
      ? 'Switch to a forked branch to propose merging it into its parent.'
      : canWrite() ? `Proposes merging ${ctx.branch()} into ${parent}.` : 'Opening proposals needs the editor or owner role.'
    await Promise.all([loadProposals(), loadConflicts(), showSelected()])
  }
  const refresh = (): Promise<void> => {
    // Coalesce bursts of notifications, but never drop the last one: a change during a load loads once more.
    if (loading !== null) { again = true; return loading }
    loading = load().catch(ctx.showError).finally(() => {
      loading = null
      if (again) { again = false; void refresh() }
    })
    return loading
  }

  // Live: proposal changes, merges and decisions by anyone.
  const onBranchEvent = (documentId: string): void => { if (documentId === ctx.documentId) void refresh() }
  ctx.hub.on('branch-event', onBranchEvent)
  return { refresh, destroy: () => ctx.hub.off('branch-event', onBranchEvent) }
}
