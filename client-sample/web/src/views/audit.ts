// Audit (owner, auditor): the branch's hash-chained event log (GET /events) and its verification (GET /verify),
// with a download of both as JSON. Decisions, proposals and the document-wide audit trail join here as their
// endpoints land.

import { h, messageOf } from '../app/dom.js'
import type { AppContext, View } from '../app/context.js'
import type { EventInfo, Verification } from '../provider/index.js'

export const mountAuditView = (root: HTMLElement, ctx: AppContext): View => {
  const verifyButton = h('button', { id: 'audit-verify', type: 'button' }, 'Verify the chain')
  const download = h('button', { id: 'audit-download', type: 'button' }, 'Download log + verification')
  const verdict = h('p', { id: 'audit-verdict', 'aria-live': 'polite' })
  const table = h('table', { class: 'events' })
  let verification: Verification | null = null
  let events: EventInfo[] = []

  const render = (): void => {
    table.replaceChildren(
      h('thead', {}, h('tr', {}, h('th', {}, 'seq'), h('th', {}, 'kind'), h('th', {}, 'who'), h('th', {}, 'when'))),
      h('tbody', {}, ...events.slice().reverse().map((e) => h('tr', {},
        h('td', {}, String(e.seq)), h('td', {}, e.kind), h('td', {}, e.author), h('td', {}, new Date(e.serverTime).toLocaleString())))))
  }

  const verify = async (): Promise<void> => {
    verification = await ctx.api.verify(ctx.documentId, ctx.branch())
    verdict.textContent = verification.valid
      ? `Valid: ${verification.eventsChecked} events, head seq ${verification.headSeq}, digest ${verification.headHash.slice(0, 16)}…`
      : `BROKEN at seq ${verification.firstBrokenSeq ?? '?'}: ${verification.firstBrokenReason ?? ''}`
    verdict.className = verification.valid ? 'ok' : 'error'
  }

  const loadEvents = async (): Promise<void> => {
    // The newest page: the log is paged from a seq, so start near the head.
    const head = Math.max(ctx.provider().savedSeq, verification?.headSeq ?? 0)
    events = await ctx.api.events(ctx.documentId, ctx.branch(), Math.max(1, head - 49), 50)
    render()
  }

  // Verifying also reloads the list, so that both describe the same head.
  verifyButton.addEventListener('click', () => {
    verify().then(loadEvents).catch((e: unknown) => ctx.showError(`Verify failed: ${messageOf(e)}`))
  })
  download.addEventListener('click', () => {
    const blob = new Blob([JSON.stringify({ document: ctx.documentId, branch: ctx.branch(), verification, events }, null, 2)], { type: 'application/json' })
    const a = h('a', { href: URL.createObjectURL(blob), download: `${ctx.documentId}-${ctx.branch()}-audit.json` })
    a.click()
    URL.revokeObjectURL(a.href)
  })

  const refresh = async (): Promise<void> => {
    if (ctx.role() !== 'owner' && ctx.role() !== 'auditor') {
      root.replaceChildren(h('p', { class: 'hint' }, 'The event log is for owners and auditors.'))
      return
    }
    root.replaceChildren(h('div', { class: 'row' }, verifyButton, download), verdict, table)
    verification = null
    verdict.textContent = ''
    await loadEvents()
  }
  return { refresh: () => refresh().catch(ctx.showError) }
}
