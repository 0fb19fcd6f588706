// Audit (owner, auditor): the document-wide audit trail (GET /audit: forks, merges with their conflicts, decisions,
// reverts, proposals, protection, settings; who and when, with each event's hash), the open branch's chain
// verification (GET /verify), and a download of both as JSON.

import { h, messageOf, refreshWhenOpened } from '../app/dom.js'
import type { AppContext, View } from '../app/context.js'
import type { AuditEntry, Verification } from '../provider/index.js'

/** The record's facts in one line: `decisions: c1=theirs`, `source: purr`, a merge's conflicts… */
const describe = (e: AuditEntry): string => {
  // Hashes and ids of 40+ hex digits are shortened (the row's title has the event's full hash).
  const short = (v: string): string => v.replace(/[0-9a-f]{24,}/g, (x) => x.slice(0, 12) + '…')
  const fields = Object.entries(e.fields).filter(([, v]) => v !== '').map(([k, v]) => `${k}: ${short(v)}`)
  if (e.conflicts !== null && e.conflicts.length > 0) fields.push(`conflicts: ${e.conflicts.map((c) => `${c.id} (${c.kind})`).join(', ')}`)
  return fields.join(' · ')
}

export const mountAuditView = (root: HTMLElement, ctx: AppContext): View => {
  const verifyButton = h('button', { id: 'audit-verify', type: 'button' }, 'Verify the chain')
  const download = h('button', { id: 'audit-download', type: 'button' }, 'Download trail + verification')
  const verdict = h('p', { id: 'audit-verdict', 'aria-live': 'polite' })
  const table = h('table', { id: 'audit-trail', class: 'events' })
  let verification: Verification | null = null
  let entries: AuditEntry[] = []

  const render = (): void => {
    table.replaceChildren(
      h('thead', {}, h('tr', {}, h('th', {}, 'what'), h('th', {}, 'where'), h('th', {}, 'who'), h('th', {}, 'when'), h('th', {}, 'details'))),
      h('tbody', {}, ...entries.slice().reverse().map((e) => h('tr', { 'data-type': e.type, title: `hash ${e.hash}` },
        h('td', {}, e.type), h('td', {}, `${e.branch}@${e.seq}`), h('td', {}, e.by), h('td', {}, new Date(e.at).toLocaleString()),
        h('td', { class: 'fields' }, describe(e))))))
  }

  const verify = async (): Promise<void> => {
    verification = await ctx.api.verify(ctx.documentId, ctx.branch())
    verdict.textContent = verification.valid
      ? `Valid: ${verification.eventsChecked} events, head seq ${verification.headSeq}, digest ${verification.headHash.slice(0, 16)}…`
      : `BROKEN at seq ${verification.firstBrokenSeq ?? '?'}: ${verification.firstBrokenReason ?? ''}`
    verdict.className = verification.valid ? 'ok' : 'error'
  }

  const loadEvents = async (): Promise<void> => {
    // The whole trail, page after page (the cursor never skips or repeats an entry).
    const all: AuditEntry[] = []
    let after: string | undefined
    for (;;) {
      const page = await ctx.api.audit(ctx.documentId, after, 500)
      all.push(...page.entries)
      after = page.next
      if (!page.hasMore) break
    }
    entries = all
    render()
  }

  // Verifying also reloads the list, so that both describe the same head.
  verifyButton.addEventListener('click', () => {
    verify().then(loadEvents).catch((e: unknown) => ctx.showError(`Verify failed: ${messageOf(e)}`))
  })
  download.addEventListener('click', () => {
    const blob = new Blob([JSON.stringify({ document: ctx.documentId, branch: ctx.branch(), verification, audit: entries }, null, 2)], { type: 'application/json' })
    const a = h('a', { href: URL.createObjectURL(blob), download: `${ctx.documentId}-${ctx.branch()}-audit.json` })
    a.click()
    URL.revokeObjectURL(a.href)
  })

  const refresh = async (): Promise<void> => {
    if (ctx.role() !== 'owner' && ctx.role() !== 'auditor') {
      root.replaceChildren(h('p', { class: 'hint' }, 'The audit trail is for owners and auditors.'))
      return
    }
    root.replaceChildren(h('div', { class: 'row' }, verifyButton, download), verdict, table)
    verification = null
    verdict.textContent = ''
    await loadEvents()
  }
  // Opening the panel reloads the trail: records on other branches (a merge into the parent) notify this page nothing.
  const load = (): Promise<void> => refresh().catch(ctx.showError)
  return { refresh: load, destroy: refreshWhenOpened(root, load) }
}
