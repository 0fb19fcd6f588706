// The Collab browser app: sign in (development token), pick or create a document, and work on one branch at a time
// with two editors on one Y.Doc — Tiptap rich text (XML fragment `rich`) and CodeMirror (Y.Text `content`) — over one
// shared hub connection. Side panels: branches, merge, review, history, sharing, audit (src/views).

import './style.css'
import * as Y from 'yjs'
import { Awareness, removeAwarenessStates } from 'y-protocols/awareness'
import type { IndexeddbPersistence } from 'y-indexeddb'
import { CollabApi, CollabHub, CollabProvider, devSignIn, errorCode } from './provider/index.js'
import type { Role, BranchEvent } from './provider/index.js'
import { followMoves, loadOffline } from './provider/offline.js'
import { byId, colorFor, h, messageOf } from './app/dom.js'
import type { AppContext, View } from './app/context.js'
import { createRichTextEditor, richFragmentName } from './editors/rich-text.js'
import type { RichTextEditor } from './editors/rich-text.js'
import { createCodeEditor, textName } from './editors/code.js'
import type { CodeEditor } from './editors/code.js'
import { mountBranchesView } from './views/branches.js'
import { mountMergeView } from './views/merge.js'
import { mountShareView } from './views/share.js'
import { mountAuditView } from './views/audit.js'
import { mountReviewView } from './views/review.js'
import { mountHistoryView } from './views/history.js'
import { openWithHocuspocus } from './app/hocuspocus.js'

const serverUrl = window.location.origin
const params = new URLSearchParams(window.location.search)

let errorTimer: ReturnType<typeof setTimeout> | undefined
const showError = (e: unknown): void => {
  byId('error').textContent = e === null ? '' : messageOf(e)
}
const notify = (text: string): void => {
  const el = byId('error')
  el.className = 'notice-line'
  el.textContent = text
  clearTimeout(errorTimer)
  errorTimer = setTimeout(() => { if (el.textContent === text) el.textContent = '' ; el.className = 'error' }, 4000)
}
const reportError = (e: unknown): void => {
  byId('error').className = 'error'
  showError(e)
}

interface Session { user: string, token: string, api: CollabApi, hub: CollabHub }
let session: Session | null = null

/** One open branch: its Y.Doc (fresh per branch: a fresh Yjs client id), provider, offline store and editors. */
interface OpenBranch {
  doc: Y.Doc
  awareness: Awareness
  provider: CollabProvider
  persistence: { current: () => IndexeddbPersistence | null, stop: () => void }
  rich: RichTextEditor
  code: CodeEditor
  detach: () => void
}

/** The workspace of one document: the open branch and the side views. */
class Workspace {
  private open: OpenBranch | null = null
  private readonly views: View[] = []
  private role: Role | null = null
  readonly context: AppContext

  constructor (readonly s: Session, readonly documentId: string) {
    this.context = {
      api: s.api,
      hub: s.hub,
      user: s.user,
      documentId,
      branch: () => this.current().provider.branch,
      hasBranch: () => this.open !== null,
      provider: () => this.current().provider,
      role: () => this.role,
      switchBranch: (branch) => this.openBranch(branch),
      showError: reportError,
      notify
    }
  }

  private current (): OpenBranch {
    if (this.open === null) throw new Error('no branch is open')
    return this.open
  }

  async openBranch (branch: string): Promise<void> {
    const s = this.s
    if (this.open !== null) await this.closeBranch()

    const doc = new Y.Doc()
    const persistence = await loadOffline(this.documentId, branch, doc)
    const awareness = new Awareness(doc)
    const color = colorFor(s.user)
    const user = { name: s.user, color, colorLight: color + '33' }
    awareness.setLocalStateField('user', user)
    const provider = new CollabProvider({ hub: s.hub, documentId: this.documentId, branch, doc, awareness })
    const ytext = doc.getText(textName)
    const rich = createRichTextEditor({ parent: byId('rich'), toolbar: byId('rich-toolbar'), doc, awareness, user })
    const code = createCodeEditor({ parent: byId('editor'), ytext, awareness })

    const onChange = (): void => this.renderStatus()
    const onRole = (role: Role | null): void => { this.role = role; this.applyRole(); void this.refreshViews() }
    const onBranch = (): void => { this.remember(); this.renderStatus(); void this.refreshViews() }
    const onRefused = ({ code: c, error }: { code: string | null, error: unknown }): void => {
      reportError(c === 'forbidden' ? `Your edit was refused: ${messageOf(error)}` : error)
    }
    const onError = (e: unknown): void => {
      // Transient trouble (reconnecting, server restarting) shows in the status pill; say only what needs a person.
      const c = errorCode(e)
      if (c === 'unavailable' || c === 'rate_limited' || /connection lost|stopped during negotiation|WebSocket closed/i.test(messageOf(e))) return
      console.warn('collab:', e)
      if (c !== null) reportError(e)
    }
    provider.on('change', onChange)
    provider.on('role', onRole)
    provider.on('branch', onBranch)
    provider.on('refused', onRefused)
    provider.on('error', onError)
    const onAwareness = (): void => this.renderPeers()
    awareness.on('change', onAwareness)
    const onUnload = (): void => removeAwarenessStates(awareness, [doc.clientID], 'window unload')
    window.addEventListener('beforeunload', onUnload)

    this.open = {
      doc, awareness, provider, persistence: followMoves(provider, persistence), rich, code,
      detach: () => {
        provider.off('change', onChange)
        provider.off('role', onRole)
        provider.off('branch', onBranch)
        provider.off('refused', onRefused)
        provider.off('error', onError)
        awareness.off('change', onAwareness)
        window.removeEventListener('beforeunload', onUnload)
      }
    }
    // Handles for tests and for poking around in the console.
    Object.assign(window, { collab: { doc, ytext, xml: doc.getXmlFragment(richFragmentName), awareness, provider, hub: s.hub, view: code.view, rich: rich.editor, workspace: this } })
    this.role = provider.role
    this.applyRole()
    this.remember()
    this.renderStatus()
    this.renderPeers()
    await this.refreshViews()
  }

  private async closeBranch (): Promise<void> {
    const o = this.current()
    this.open = null
    o.detach()
    o.persistence.stop()
    o.rich.destroy()
    o.code.destroy()
    await o.provider.destroy()
    await o.persistence.current()?.destroy()
    o.awareness.destroy()
    o.doc.destroy()
  }

  /** Closes the open branch and the views (another document is being opened). */
  async close (): Promise<void> {
    for (const v of this.views.splice(0)) v.destroy?.()
    if (this.open !== null) await this.closeBranch()
  }

  async mountViews (): Promise<void> {
    this.views.push(
      mountBranchesView(byId('branch-view'), this.context),
      mountMergeView(byId('merge-view'), this.context),
      mountShareView(byId('share-view'), this.context),
      mountAuditView(byId('audit-view'), this.context),
      mountReviewView(byId('review-view'), this.context),
      mountHistoryView(byId('history-view'), this.context))
    await this.refreshViews()
  }

  async refreshViews (): Promise<void> {
    if (this.open === null) return
    await Promise.all(this.views.map(async (v) => { await v.refresh() }))
  }

  onBranchEvent (event: BranchEvent): void {
    if (event.type === 'role-changed' && event.user === this.s.user) {
      if (event.role === null) {
        reportError(`${String(event.by)} removed your access to this document.`)
        return
      }
      // Join again: the server answers the new role, and the editors follow.
      this.open?.provider.rejoin()
      notify(`${String(event.by)} made you ${String(event.role)}`)
    }
  }

  private applyRole (): void {
    const o = this.open
    if (o === null) return
    const canWrite = this.role === 'owner' || this.role === 'editor'
    o.rich.setEditable(canWrite)
    o.code.setEditable(canWrite)
    byId('role').textContent = `role: ${this.role ?? '…'}`
    const reason = byId('readonly-reason')
    reason.hidden = canWrite || this.role === null
    reason.textContent = this.role === 'viewer'
      ? 'Read-only: you are a viewer of this document. You see every change live; ask an owner for the editor role to write.'
      : this.role === 'auditor'
        ? 'Read-only: you are an auditor of this document. You can read it and its audit log, not change it.'
        : ''
  }

  private remember (): void {
    const o = this.current()
    byId('doc-label').textContent = `${this.documentId} @ ${o.provider.branch}`
    const url = new URL(window.location.href)
    url.searchParams.set('doc', this.documentId)
    url.searchParams.set('branch', o.provider.branch)
    window.history.replaceState(null, '', url)
  }

  renderStatus (): void {
    const o = this.open
    if (o === null) return
    const p = o.provider
    const hubUp = this.s.hub.isConnected
    const status = p.status
    const el = byId('status')
    el.className = `status ${status}`
    el.dataset.status = status
    const pending = p.pendingCount
    el.textContent = status === 'connected' ? 'connected'
      : status === 'syncing' ? 'syncing…'
        : hubUp ? 'offline' : `offline${pending > 0 ? ` · ${pending} pending` : ''}`
    byId('pending').textContent = pending === 0 ? 'saved' : status === 'connected' ? `${pending} unsaved` : `${pending} pending`
    // Our own acknowledged edits: a read-only role has none, and the join head alone would go stale.
    byId('saved-seq').textContent = p.lastAckSeq > 0 ? `saved up to seq ${p.savedSeq}` : ''
  }

  private renderPeers (): void {
    const o = this.open
    if (o === null) return
    const items: HTMLElement[] = []
    o.awareness.getStates().forEach((state, clientId) => {
      const u = (state as { user?: { name?: string, color?: string } }).user
      if (u?.name === undefined) return
      const me = clientId === o.doc.clientID
      const chip = h('span', { class: me ? 'me' : '', title: me ? 'you' : u.name }, me ? `${u.name} (you)` : u.name)
      chip.style.background = u.color ?? '#555'
      items.push(h('li', {}, chip))
    })
    byId('peers').replaceChildren(...items)
  }
}

let workspace: Workspace | null = null

async function signIn (user: string): Promise<void> {
  showError(null)
  const token = await devSignIn(serverUrl, user)
  const hub = new CollabHub({ serverUrl, getToken: () => token })
  hub.on('status', () => workspace?.renderStatus())
  hub.on('branch-event', (documentId, event) => { if (workspace?.documentId === documentId) workspace.onBranchEvent(event) })
  session = { user, token, api: new CollabApi(serverUrl, () => token), hub }
  sessionStorage.setItem('collab.user', user)
  byId('signin').hidden = true
  byId('picker').hidden = false
  byId('status').textContent = `${user} · no document open`
  await refreshDocuments(params.get('doc'))
}

async function refreshDocuments (select: string | null): Promise<void> {
  if (session === null) return
  const docs = await session.api.listDocuments()
  const list = byId<HTMLSelectElement>('documents')
  list.replaceChildren(...docs.map((d) => new Option(d.title !== '' ? `${d.title} (${d.id})` : d.id, d.id)))
  if (select !== null && docs.some((d) => d.id === select)) list.value = select
  await refreshBranches()
}

async function refreshBranches (): Promise<void> {
  if (session === null) return
  const id = byId<HTMLSelectElement>('documents').value
  const list = byId<HTMLSelectElement>('branches')
  if (id === '') { list.replaceChildren(); return }
  const branches = await session.api.listBranches(id)
  list.replaceChildren(...branches.map((b) => new Option(b.name, b.name)))
  const wanted = params.get('branch') ?? 'main'
  if (Array.from(list.options).some((o) => o.value === wanted)) list.value = wanted
}

async function openDocument (documentId: string, branch: string): Promise<void> {
  if (session === null) return
  showError(null)
  const fresh = workspace?.documentId !== documentId
  if (fresh) {
    await workspace?.close()
    workspace = new Workspace(session, documentId)
  }
  byId('workspace').hidden = false
  byId<HTMLDetailsElement>('picker-details').open = false
  await workspace!.openBranch(branch)
  // Views read the open branch as they mount.
  if (fresh) await workspace!.mountViews()
}

byId('signin-form').addEventListener('submit', (e) => {
  e.preventDefault()
  signIn(byId<HTMLInputElement>('user').value.trim()).catch(reportError)
})
byId('documents').addEventListener('change', () => { refreshBranches().catch(reportError) })
byId('open').addEventListener('click', () => {
  const id = byId<HTMLSelectElement>('documents').value
  if (id !== '') openDocument(id, byId<HTMLSelectElement>('branches').value || 'main').catch(reportError)
})
byId('create-form').addEventListener('submit', (e) => {
  e.preventDefault()
  if (session === null) return
  const title = byId<HTMLInputElement>('new-title')
  session.api.createDocument(title.value.trim())
    .then((d) => refreshDocuments(d.id))
    .then(() => { title.value = '' })
    .catch(reportError)
})

// `?user=alice&doc=notes&branch=main` signs in and opens the document directly (handy for links and tests).
const initialUser = params.get('user') ?? sessionStorage.getItem('collab.user')
// `&provider=hocuspocus` (with user and doc): the editors over the stock @hocuspocus/provider instead (src/app/hocuspocus.ts).
const hocuspocusDoc = params.get('provider') === 'hocuspocus' ? params.get('doc') : null
if (initialUser !== null && hocuspocusDoc !== null) {
  openWithHocuspocus(serverUrl, initialUser, hocuspocusDoc, params.get('branch') ?? 'main').catch(reportError)
} else if (initialUser !== null) {
  byId<HTMLInputElement>('user').value = initialUser
  signIn(initialUser)
    .then(async () => {
      const doc = params.get('doc')
      if (doc !== null) await openDocument(doc, params.get('branch') ?? 'main')
    })
    .catch(reportError)
}
