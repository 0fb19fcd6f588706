// Review: merge proposals and decisions. Open a proposal from the open branch to its parent, list the open ones, show
// one with its full diff (GET /history/compare: what the source changed since the fork, or the source against the
// target now; inline or side by side; roles that may not compare get a word diff made in the page), its live preview (conflicts side by side: base / ours = target / theirs =
// source / merged) and its blockers, approve or request changes (editors and owners, never the author), merge (owner;
// editors too when the document's `editorsMayMerge` is on and the target is unprotected). An owner may choose for
// every conflict before merging: the choices go with the merge in one request. Conflicts left undecided stay listed
// until an owner decides them — one by one or all at once: keep merged, ours, theirs, or a custom text.

import { h, messageOf, refreshWhenOpened } from '../app/dom.js'
import type { AppContext, View } from '../app/context.js'
import type { Choice, Conflict, ConflictState, Diff, Proposal, VersionContent } from '../provider/index.js'
import { textName } from '../editors/code.js'
import { richFragmentName } from '../editors/rich-text.js'
import { joinSegments, renderInline, renderSideBySide, richToLines, wordDiff } from './diff-render.js'
import type { RootDiffView } from './diff-render.js'

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
  const decideAll = h('button', { id: 'decide-all', type: 'button', hidden: true }, 'Decide all')
  root.replaceChildren(openForm, openHint, h('h3', {}, 'Open proposals'), list, detail, h('h3', {}, 'Open conflicts'), conflictList, noConflicts, decideAll)

  // The choices made but not submitted yet survive re-renders (notifications re-render the list).
  const drafts = new Map<string, { choice: Choice, text: string }>()
  let parent: string | null = null
  let selected: string | null = null
  let editorsMayMerge = false
  let openStates: ConflictState[] = []
  const canWrite = (): boolean => ctx.role() === 'owner' || ctx.role() === 'editor'
  // The proposal diff's choices (which comparison, which text, how) survive re-renders too.
  const diffChoice = { against: 'fork', root: textName, layout: 'inline' }

  /** A choice of a conflict (radios merged / ours / theirs / custom + the custom text), kept in `drafts` under `key`. */
  const choiceFieldset = (key: string, c: Conflict, fallback: Choice | null, enabled: boolean): HTMLElement => {
    const draft = drafts.get(key) ?? (fallback === null ? null : { choice: fallback, text: c.merged ?? '' })
    const radio = (value: Choice, label: string): HTMLElement => {
      const input = h('input', { type: 'radio', name: key, value, checked: draft?.choice === value, disabled: !enabled })
      input.addEventListener('change', () => { drafts.set(key, { choice: value, text: drafts.get(key)?.text ?? custom.value }); onChoice() })
      return h('label', {}, input, label)
    }
    const custom = h('textarea', { class: 'custom', rows: 2, 'aria-label': 'Custom text', disabled: !enabled }, draft?.text ?? c.merged ?? '')
    const radios = [radio('merged', 'merged'), radio('ours', 'ours'), radio('theirs', 'theirs'), radio('custom', 'custom')]
    // Typing a custom text chooses it.
    custom.addEventListener('input', () => {
      drafts.set(key, { choice: 'custom', text: custom.value })
      const input = radios[3]?.querySelector('input')
      if (input !== null && input !== undefined) input.checked = true
      onChoice()
    })
    return h('fieldset', { class: 'row choices' }, h('legend', {}, 'Keep'), ...radios, custom)
  }
  // Set by showProposal: updates the merge button's label when a choice changes.
  let onChoice = (): void => {}
  const proposalKey = (p: Proposal, c: Conflict): string => `proposal-${p.id}-${c.id}`
  const decisionOf = (c: Conflict, d: { choice: Choice, text: string }): { conflictId: string, choice: Choice, content?: string } =>
    d.choice === 'custom' ? { conflictId: c.id, choice: d.choice, content: d.text } : { conflictId: c.id, choice: d.choice }

  /**
   * The proposal's full diff, loaded into `into`: since the fork (merge base → source) or against the target now.
   * Owners and auditors get the server's exact diff (`history/compare`, with authors); other roles may not compare,
   * so their page diffs the two versions' texts itself (`history/content` is open to every role), word by word.
   */
  const loadDiff = async (p: Proposal, into: HTMLElement): Promise<void> => {
    const rich = diffChoice.root === richFragmentName
    const sinceFork = diffChoice.against === 'fork' && p.preview !== null
    let found: RootDiffView
    let left: string
    let right: string
    let note = ''
    if (ctx.role() === 'owner' || ctx.role() === 'auditor') {
      const base = sinceFork && p.preview !== null ? `${p.preview.base.branch}@${p.preview.base.seq}` : p.target
      const diff: Diff = await ctx.api.compare(ctx.documentId, base, p.source)
      found = diff.roots.find((r) => r.name === diffChoice.root) ?? { name: diffChoice.root, kind: rich ? 'xml' : 'text', segments: [] }
      left = `${diff.base.branch}@${diff.base.seq}`
      right = `${diff.head.branch}@${diff.head.seq}`
    } else {
      const [before, after] = await Promise.all([
        sinceFork && p.preview !== null ? ctx.api.content(ctx.documentId, p.preview.base.branch, p.preview.base.seq) : ctx.api.content(ctx.documentId, p.target),
        ctx.api.content(ctx.documentId, p.source)])
      const textOf = (c: VersionContent): string => {
        const r = c.roots.find((x) => x.name === diffChoice.root)
        return rich ? richToLines(r?.xml ?? '') : (r?.text ?? '')
      }
      const parts = wordDiff(textOf(before), textOf(after))
      if (parts === null) {
        into.replaceChildren(h('span', { class: 'hint' }, 'Too long to diff in the browser; owners and auditors see the server\'s diff.'))
        return
      }
      found = { name: diffChoice.root, kind: 'text', segments: parts.map((x) => ({ op: x.op, length: x.text.length, content: x.text, key: null, oldContent: null, insertedBy: null, deletedBy: null })) }
      left = `${before.position.branch}@${before.position.seq}`
      right = `${after.position.branch}@${after.position.seq}`
      note = ' (word diff of the text; the exact diff with authors is for owners and auditors)'
    }
    const changed = joinSegments(found.segments).filter((s) => s.op !== 'equal').length
    into.dataset.changes = String(changed)
    into.className = `proposal-diff history-output ${found.kind === 'xml' ? 'rich-view' : 'plain-view'}`
    into.replaceChildren(
      h('div', { class: 'cell-label' }, `${left} → ${right}: ${changed === 0 ? 'no change' : `${changed} change(s)`}${note}`),
      ...(diffChoice.layout === 'inline' ? renderInline(found) : [renderSideBySide(found, left, right, 'proposal-diff')]))
  }

  const diffSection = (p: Proposal): HTMLElement => {
    const body = h('div', { id: 'proposal-diff', class: 'proposal-diff history-output', tabindex: 0, role: 'region', 'aria-label': 'Proposal diff', 'aria-live': 'polite' })
    const select = (id: string, label: string, key: 'against' | 'root' | 'layout', options: Array<[string, string]>): HTMLSelectElement => {
      const s = h('select', { id, 'aria-label': label }, ...options.map(([value, text]) => new Option(text, value)))
      s.value = diffChoice[key]
      s.addEventListener('change', () => { diffChoice[key] = s.value; loadDiff(p, body).catch((e: unknown) => ctx.showError(`Diff: ${messageOf(e)}`)) })
      return s
    }
    const controls = h('div', { class: 'row' },
      select('proposal-diff-against', 'Compare', 'against', [['fork', `since the fork (${p.source}'s changes)`], ['target', `with ${p.target} now`]]),
      select('proposal-diff-root', 'Which text', 'root', [[textName, 'plain text'], [richFragmentName, 'rich text']]),
      select('proposal-diff-layout', 'Layout', 'layout', [['inline', 'inline'], ['sides', 'side by side']]))
    loadDiff(p, body).catch((e: unknown) => { body.replaceChildren(h('span', { class: 'error' }, `Could not load the diff: ${messageOf(e)}`)) })
    return h('section', { class: 'proposal-changes' }, h('h4', {}, 'Changes'), controls, body)
  }

  const showProposal = (p: Proposal): void => {
    const owner = ctx.role() === 'owner'
    const mayMerge = owner || (ctx.role() === 'editor' && editorsMayMerge && !p.targetProtected)
    const canReview = canWrite() && p.author !== ctx.user && p.state === 'open'
    const blockers = p.blockers ?? []
    const conflicts = p.preview?.conflicts ?? []
    // Decisions go with the merge only for conflicts the owner chose; the rest stay open to decide later.
    const chosen = (): Array<{ conflictId: string, choice: Choice, content?: string }> =>
      conflicts.flatMap((c) => { const d = drafts.get(proposalKey(p, c)); return d === undefined ? [] : [decisionOf(c, d)] })
    const approve = h('button', { id: 'proposal-approve', type: 'button', disabled: !canReview, title: canReview ? '' : 'Editors and owners review; never the author.' }, 'Approve')
    const requestChanges = h('button', { id: 'proposal-request-changes', type: 'button', disabled: !canReview }, 'Request changes')
    const merge = h('button', { id: 'proposal-merge', type: 'button', disabled: !mayMerge || p.state !== 'open' || blockers.length > 0,
      title: mayMerge ? '' : p.targetProtected ? 'Only an owner merges into a protected branch.' : 'Merging needs the owner role (or an owner lets editors merge).' }, 'Merge')
    onChoice = () => {
      const n = chosen().length
      merge.textContent = n === 0 ? 'Merge' : `Merge with ${n} decision(s)`
      merge.dataset.decisions = String(n)
    }
    onChoice()
    const close = h('button', { id: 'proposal-close', type: 'button', disabled: p.state !== 'open' || (!owner && p.author !== ctx.user) }, 'Close')
    const act = (work: Promise<Proposal>, done: (q: Proposal) => string): void => {
      work.then(async (q) => { ctx.notify(done(q)); await refresh() })
        .catch((e: unknown) => ctx.showError(messageOf(e)))
    }
    approve.addEventListener('click', () => act(ctx.api.reviewProposal(ctx.documentId, p.id, 'approve'), () => 'Approved'))
    requestChanges.addEventListener('click', () => act(ctx.api.reviewProposal(ctx.documentId, p.id, 'request-changes'), () => 'Changes requested'))
    merge.addEventListener('click', () => {
      const decisions = owner ? chosen() : []
      act(ctx.api.mergeProposal(ctx.documentId, p.id, undefined, decisions).then((q) => {
        for (const c of conflicts) drafts.delete(proposalKey(p, c))
        return q
      }), (q) => q.mergeId === null ? 'Nothing to merge' : `Merged as ${q.mergeId}${decisions.length === 0 ? '' : ` with ${decisions.length} decision(s)`}`)
    })
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
      p.state === 'open' ? diffSection(p) : null,
      conflicts.length > 0 && owner && p.state === 'open' ? h('p', { class: 'hint' }, 'Choose for each conflict to decide it with the merge; a conflict left unchosen stays open to decide later.') : null,
      h('ol', { class: 'conflicts' }, ...conflicts.map((c) => h('li', { class: 'conflict', 'data-conflict': c.id },
        h('div', { class: 'conflict-head' }, where(c)), sides(c, p.source, p.target),
        h('div', { class: 'hint' }, `automatic outcome: ${c.automaticOutcome}`),
        owner && p.state === 'open' ? choiceFieldset(proposalKey(p, c), c, null, true) : null))),
      h('div', { class: 'row' }, approve, requestChanges, merge, close)))
  }

  /** One open conflict with its choices (owner): keep merged, ours, theirs or a custom text. */
  const conflictKey = (s: ConflictState): string => `choice-${s.mergeId}-${s.conflict.id}`
  const conflictItem = (s: ConflictState): HTMLElement => {
    const c = s.conflict
    const owner = ctx.role() === 'owner'
    const decide = h('button', { type: 'button', class: 'decide', disabled: !owner, title: owner ? '' : 'Deciding needs the owner role.' }, 'Decide')
    const item = h('li', { class: 'conflict open-conflict', 'data-merge': s.mergeId, 'data-conflict': c.id },
      h('div', { class: 'conflict-head' }, `${s.mergeId} · ${where(c)}`),
      sides(c, 'the source', s.mergeId.slice(0, s.mergeId.lastIndexOf('@'))),
      choiceFieldset(conflictKey(s), c, 'merged', owner),
      decide)
    decide.addEventListener('click', () => { submit([s]).catch((e: unknown) => ctx.showError(`Decision failed: ${messageOf(e)}`)) })
    return item
  }

  /** Submits the drafted choice of each conflict: one request per merge, every conflict of that merge in it. */
  const submit = async (states: ConflictState[]): Promise<void> => {
    const byMerge = new Map<string, ConflictState[]>()
    for (const s of states) byMerge.set(s.mergeId, [...(byMerge.get(s.mergeId) ?? []), s])
    for (const [mergeId, group] of byMerge) {
      const decisions = group.map((s) => decisionOf(s.conflict, drafts.get(conflictKey(s)) ?? { choice: 'merged', text: s.conflict.merged ?? '' }))
      const r = await ctx.api.resolve(ctx.documentId, mergeId, decisions)
      for (const s of group) drafts.delete(conflictKey(s))
      ctx.notify(`Decided ${decisions.map((d) => `${d.conflictId}: ${d.choice}`).join(', ')} (${r.resolutionId})`)
    }
    await loadConflicts()
  }
  decideAll.addEventListener('click', () => { submit(openStates).catch((e: unknown) => ctx.showError(`Decisions failed: ${messageOf(e)}`)) })

  const loadConflicts = async (): Promise<void> => {
    const open = await ctx.api.conflicts(ctx.documentId, 'open')
    openStates = open
    conflictList.dataset.count = String(open.length)
    conflictList.replaceChildren(...open.map(conflictItem))
    noConflicts.hidden = open.length > 0
    decideAll.hidden = open.length < 2 || ctx.role() !== 'owner'
    decideAll.textContent = `Decide all ${open.length} as chosen`
  }

  const loadProposals = async (): Promise<void> => {
    const proposals = await ctx.api.listProposals(ctx.documentId, 'open')
    list.replaceChildren(...(proposals.length === 0 ? [h('li', { class: 'hint' }, 'None.')] : proposals.map((p) => {
      const button = h('button', { type: 'button', class: 'link', 'data-proposal': p.id, 'aria-current': p.id === selected ? 'true' : undefined }, p.title)
      button.addEventListener('click', () => { selected = p.id; void showSelected() })
      return h('li', { class: 'proposal-item' }, button, h('span', { class: 'proposal-meta' }, `${p.source} → ${p.target} · ${p.review}`))
    })))
  }

  // What the shown proposal looked like: a notification that changed nothing about it keeps the rendered detail
  // (and the keyboard focus in it, and its diff) as it is.
  let shownSignature = ''
  const showSelected = async (): Promise<void> => {
    if (selected === null) { detail.replaceChildren(); shownSignature = ''; return }
    try {
      const p = await ctx.api.getProposal(ctx.documentId, selected)
      const signature = JSON.stringify([p.id, p.state, p.updatedAt, p.review, p.blockers, p.summary, p.preview?.source, p.preview?.target,
        p.preview?.conflicts.map((c) => [c.id, c.merged]), ctx.role(), editorsMayMerge])
      if (signature === shownSignature && detail.firstChild !== null) return
      shownSignature = signature
      showProposal(p)
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
    const [branches, settings] = await Promise.all([ctx.api.listBranches(ctx.documentId), ctx.api.settings(ctx.documentId)])
    editorsMayMerge = settings.editorsMayMerge
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
  // Opening the panel reloads it (a settings change by an owner sends no notification).
  const stopOnOpen = refreshWhenOpened(root, refresh)
  return { refresh, destroy: () => { ctx.hub.off('branch-event', onBranchEvent); stopOnOpen() } }
}
