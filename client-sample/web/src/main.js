// Browser sample: sign in (development token), pick or create a document and branch, edit it with CodeMirror 6
// bound to a Y.Text, and see the other editors' cursors through awareness.
import './style.css'
import { EditorView, basicSetup } from 'codemirror'
import { EditorState, Compartment } from '@codemirror/state'
import { yCollab } from 'y-codemirror.next'
import {
  Y, awarenessProtocol, CollabProvider, devSignIn, listDocuments, createDocument, listBranches
} from './collab-provider.js'

/** Name of the Y.Text every Collab client edits (the .NET client uses the same name). */
const textName = 'content'
const serverUrl = window.location.origin
const params = new URLSearchParams(window.location.search)
const $ = (id) => document.getElementById(id)

const palette = ['#30bced', '#6eeb83', '#ffbc42', '#ee6352', '#9ac2c9', '#8acb88', '#1be7ff', '#e36bae']
const colorFor = (name) => palette[Array.from(name).reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % palette.length]

const session = { user: null, token: null, provider: null, view: null }

const showError = (e) => { $('error').textContent = e ? String(e.message ?? e) : '' }

const setStatus = (status, text) => {
  const el = $('status')
  el.className = `status ${status}`
  el.dataset.status = status
  el.textContent = text ?? status
}

async function signIn (user) {
  showError(null)
  session.token = await devSignIn(serverUrl, user)
  session.user = user
  sessionStorage.setItem('collab.user', user)
  $('signin').hidden = true
  $('picker').hidden = false
  setStatus('disconnected', `${user} · not connected`)
  await refreshDocuments(params.get('doc'))
}

async function refreshDocuments (select) {
  const docs = await listDocuments(serverUrl, session.token)
  const list = $('documents')
  list.replaceChildren(...docs.map((d) => new Option(d.title ? `${d.title} (${d.id})` : d.id, d.id)))
  if (select && docs.some((d) => d.id === select)) list.value = select
  await refreshBranches()
}

async function refreshBranches () {
  const id = $('documents').value
  const list = $('branches')
  if (!id) { list.replaceChildren(); return }
  const branches = await listBranches(serverUrl, session.token, id)
  list.replaceChildren(...branches.map((b) => new Option(b.name ?? b.branch ?? String(b), b.name ?? b.branch ?? String(b))))
  const wanted = params.get('branch') ?? 'main'
  if (Array.from(list.options).some((o) => o.value === wanted)) list.value = wanted
}

async function openDocument (documentId, branch) {
  showError(null)
  if (session.provider) { await session.provider.destroy(); session.view.destroy() }

  const doc = new Y.Doc()
  const ytext = doc.getText(textName)
  const awareness = new awarenessProtocol.Awareness(doc)
  const color = colorFor(session.user)
  awareness.setLocalStateField('user', { name: session.user, color, colorLight: color + '33' })

  const provider = new CollabProvider({
    serverUrl, documentId, branch, doc, awareness, getToken: () => session.token, protocol: 'msgpack'
  })
  const readOnly = new Compartment()
  const view = new EditorView({
    state: EditorState.create({
      doc: ytext.toString(),
      extensions: [basicSetup, EditorView.lineWrapping, yCollab(ytext, awareness), readOnly.of(EditorState.readOnly.of(false))]
    }),
    parent: $('editor')
  })
  session.provider = provider
  session.view = view
  // Handles for tests and for poking around in the console.
  window.collab = { doc, ytext, awareness, provider, view }

  $('workspace').hidden = false
  $('doc-label').textContent = `${documentId} @ ${branch}`
  provider.on('status', ({ status }) => setStatus(status, `${session.user} · ${status}${provider.synced ? ' · synced' : ''}`))
  provider.on('synced', (synced) => setStatus(provider.status, `${session.user} · ${provider.status}${synced ? ' · synced' : ''}`))
  provider.on('role', (role) => {
    $('role').textContent = `role: ${role}`
    const canWrite = role === 'owner' || role === 'editor'
    view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(!canWrite)) })
  })
  provider.on('error', (e) => showError(e))
  provider.on('refused', ({ error }) => showError(error))
  const showPending = () => { $('pending').textContent = provider.pendingCount > 0 ? `${provider.pendingCount} unsaved` : 'saved' }
  provider.on('ack', showPending)
  doc.on('update', showPending)
  awareness.on('change', () => {
    const peers = []
    awareness.getStates().forEach((state, clientId) => {
      if (clientId !== doc.clientID && state.user) peers.push(state.user)
    })
    $('peers').replaceChildren(...peers.map((u) => {
      const s = document.createElement('span')
      s.textContent = u.name
      s.style.background = u.color
      return s
    }))
  })
  window.addEventListener('beforeunload', () => {
    awarenessProtocol.removeAwarenessStates(awareness, [doc.clientID], 'window unload')
  })
  const url = new URL(window.location.href)
  url.searchParams.set('doc', documentId)
  url.searchParams.set('branch', branch)
  window.history.replaceState(null, '', url)
}

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault()
  signIn($('user').value.trim()).catch(showError)
})
$('documents').addEventListener('change', () => refreshBranches().catch(showError))
$('open').addEventListener('click', () => {
  const id = $('documents').value
  if (id) openDocument(id, $('branches').value || 'main').catch(showError)
})
$('create-form').addEventListener('submit', (e) => {
  e.preventDefault()
  createDocument(serverUrl, session.token, { title: $('new-title').value.trim() })
    .then((d) => refreshDocuments(d.id))
    .then(() => { $('new-title').value = '' })
    .catch(showError)
})

// `?user=alice&doc=notes&branch=main` signs in and opens the document directly (handy for links and tests).
const initialUser = params.get('user') ?? sessionStorage.getItem('collab.user')
if (initialUser) {
  $('user').value = initialUser
  signIn(initialUser)
    .then(() => { if (params.get('doc')) return openDocument(params.get('doc'), params.get('branch') ?? 'main') })
    .catch(showError)
}
