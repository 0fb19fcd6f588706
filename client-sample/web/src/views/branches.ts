// The branch menu: switch, fork from now or from a seq, "move my work to a branch", ahead/behind against the parent.

import { h, messageOf } from '../app/dom.js'
import type { AppContext, View } from '../app/context.js'
import type { BranchDetails } from '../provider/index.js'

const describe = (b: BranchDetails): string => {
  if (b.parent === null) return 'the main line'
  return `from ${b.parent} at seq ${b.forkSeq} · ${b.ahead ?? 0} ahead, ${b.behind ?? 0} behind ${b.parent}`
}

export const mountBranchesView = (root: HTMLElement, ctx: AppContext): View => {
  const select = h('select', { id: 'branch-select', 'aria-label': 'Branch' })
  const details = h('p', { id: 'branch-details', class: 'hint' })
  const forkName = h('input', { id: 'fork-name', placeholder: 'new branch name', 'aria-label': 'New branch name', required: true })
  const forkSeq = h('input', { id: 'fork-seq', type: 'number', min: '0', placeholder: 'now', 'aria-label': 'Fork at seq (empty: now)', class: 'seq' })
  const forkButton = h('button', { id: 'fork', type: 'submit' }, 'Fork')
  const forkForm = h('form', { class: 'row' }, forkName, h('label', {}, 'at seq', forkSeq), forkButton)
  const moveName = h('input', { id: 'move-name', placeholder: 'branch for my work', 'aria-label': 'Branch to move my work to', required: true })
  const moveButton = h('button', { id: 'move', type: 'submit' }, 'Move my work')
  const moveForm = h('form', { class: 'row' }, moveName, moveButton)
  const hint = h('p', { class: 'hint' }, 'Fork copies the history up to a seq (or now) into a new branch. "Move my work" forks from now and carries on there with your unsaved edits.')
  const protectButton = h('button', { id: 'branch-protect', type: 'button', hidden: true }, 'Protect')
  root.replaceChildren(h('div', { class: 'row' }, h('label', {}, 'Branch', select), protectButton), details, forkForm, moveForm, hint)

  let branches: BranchDetails[] = []
  let loading: Promise<void> | null = null

  const render = (): void => {
    if (!ctx.hasBranch()) return // between two branches (a switch in progress): the next refresh renders
    const current = ctx.branch()
    select.replaceChildren(...branches.map((b) => {
      const counts = b.parent === null ? '' : ` (↑${b.ahead ?? 0} ↓${b.behind ?? 0})`
      const state = b.state === 'open' ? '' : ` [${b.state}]`
      const option = new Option(`${b.protected === true ? '🔒 ' : ''}${b.name}${counts}${state}`, b.name)
      option.dataset.protected = String(b.protected === true)
      option.dataset.ahead = String(b.ahead ?? '')
      option.dataset.behind = String(b.behind ?? '')
      return option
    }))
    select.value = current
    const mine = branches.find((b) => b.name === current)
    details.textContent = mine === undefined ? '' : describe(mine) + (mine.protected === true ? ' · protected: changes only through an approved proposal' : '')
    // Owners protect and unprotect the open branch.
    protectButton.hidden = ctx.role() !== 'owner' || mine === undefined
    protectButton.textContent = mine?.protected === true ? 'Unprotect' : 'Protect'
    const canFork = ctx.role() === 'owner' || ctx.role() === 'editor'
    for (const el of [forkName, forkSeq, forkButton, moveName, moveButton]) el.toggleAttribute('disabled', !canFork)
    if (!canFork) forkButton.title = moveButton.title = 'Forking needs the editor or owner role.'
  }

  const load = async (): Promise<void> => {
    const list = await ctx.api.listBranches(ctx.documentId)
    branches = await Promise.all(list.map((b) => ctx.api.getBranch(ctx.documentId, b.name)))
    render()
  }
  let again = false
  const refresh = (): Promise<void> => {
    // Coalesce: notifications and acks can come in bursts. A refresh asked for during a load (say, right after a fork)
    // loads once more, so that the menu never stays on a list read before the change.
    if (loading !== null) { again = true; return loading }
    loading = load().catch(ctx.showError).finally(() => {
      loading = null
      if (again) { again = false; void refresh() }
    })
    return loading
  }

  protectButton.addEventListener('click', () => {
    const branch = ctx.branch()
    const isProtected = branches.find((b) => b.name === branch)?.protected === true
    const work = isProtected ? ctx.api.unprotect(ctx.documentId, branch) : ctx.api.protect(ctx.documentId, branch)
    work.then(async () => { ctx.notify(`${branch} is ${isProtected ? 'no longer protected' : 'protected'}`); await refresh() })
      .catch((err: unknown) => ctx.showError(`Could not change the protection: ${messageOf(err)}`))
  })
  select.addEventListener('change', () => { ctx.switchBranch(select.value).catch(ctx.showError) })
  forkForm.addEventListener('submit', (e) => {
    e.preventDefault()
    const name = forkName.value.trim()
    const seqText = forkSeq.value.trim()
    const from = ctx.branch()
    ctx.api.fork(ctx.documentId, name, from, seqText === '' ? undefined : Number(seqText))
      .then(async (b) => {
        forkName.value = ''
        forkSeq.value = ''
        ctx.notify(`Forked ${b.name} from ${from} at seq ${b.forkSeq}`)
        await ctx.switchBranch(b.name)
      })
      .catch((err: unknown) => ctx.showError(`Fork failed: ${messageOf(err)}`))
  })
  moveForm.addEventListener('submit', (e) => {
    e.preventDefault()
    const name = moveName.value.trim()
    ctx.provider().moveToBranch(name)
      .then((answer) => {
        moveName.value = ''
        ctx.notify(`Your work is now on ${answer.branch} (forked at seq ${answer.forkSeq ?? '?'})`)
      })
      .catch((err: unknown) => ctx.showError(`Move failed: ${messageOf(err)}`))
  })

  // Live: forks and merges by anyone update the menu; our own saved edits move the ahead count.
  const onBranchEvent = (documentId: string): void => { if (documentId === ctx.documentId) void refresh() }
  ctx.hub.on('branch-event', onBranchEvent)
  let ackTimer: ReturnType<typeof setTimeout> | undefined
  const onAck = (): void => { clearTimeout(ackTimer); ackTimer = setTimeout(() => { void refresh() }, 1000) }
  // Others' edits on a parent move "behind" without any message to this page: look again every few seconds.
  const poll = setInterval(() => { if (document.visibilityState === 'visible') void refresh() }, 3000)
  let watched = ctx.provider()
  watched.on('ack', onAck)

  return {
    refresh: () => {
      if (watched !== ctx.provider()) { watched.off('ack', onAck); watched = ctx.provider(); watched.on('ack', onAck) }
      return refresh()
    },
    destroy: () => { ctx.hub.off('branch-event', onBranchEvent); watched.off('ack', onAck); clearTimeout(ackTimer); clearInterval(poll) }
  }
}
