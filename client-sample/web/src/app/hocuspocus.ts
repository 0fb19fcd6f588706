// `?provider=hocuspocus`: the same two editors on one Y.Doc, but synced by the stock `@hocuspocus/provider` through
// Collab's Hocuspocus endpoint (/hocuspocus, document name `id@branch`) instead of the SignalR hub — what an existing
// Tiptap + Hocuspocus app does after changing its URL. The side views (branches, merge, sharing, audit) need the hub and
// are not mounted in this mode.

import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { HocuspocusProvider } from '@hocuspocus/provider'
import { devSignIn } from '../provider/index.js'
import { byId, colorFor } from './dom.js'
import { createRichTextEditor } from '../editors/rich-text.js'
import { createCodeEditor, textName } from '../editors/code.js'

/** Signs in as `user` and opens `documentId` at `branch` over the Hocuspocus protocol. */
export async function openWithHocuspocus (serverUrl: string, user: string, documentId: string, branch: string): Promise<void> {
  const token = await devSignIn(serverUrl, user)
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  const color = colorFor(user)
  const me = { name: user, color, colorLight: color + '33' }
  awareness.setLocalStateField('user', me)
  const url = serverUrl.replace(/^http/, 'ws') + '/hocuspocus'
  const provider = new HocuspocusProvider({ url, name: `${documentId}@${branch}`, document: doc, awareness, token })
  const status = byId('status')
  const render = (): void => {
    const state = provider.isSynced && provider.unsyncedChanges === 0 ? 'saved' : 'syncing'
    status.dataset.status = state
    status.textContent = `${user} · ${documentId} @ ${branch} · Hocuspocus provider · ${state}`
  }
  provider.on('synced', render)
  provider.on('unsyncedChanges', render)
  provider.on('authenticationFailed', ({ reason }: { reason: string }) => { byId('error').textContent = `Hocuspocus: ${reason}` })

  byId('signin').hidden = true
  byId('picker').hidden = true
  byId('workspace').hidden = false
  byId('doc-label').textContent = `${documentId} @ ${branch}`
  const rich = createRichTextEditor({ parent: byId('rich'), toolbar: byId('rich-toolbar'), doc, awareness, user: me })
  const ytext = doc.getText(textName)
  const code = createCodeEditor({ parent: byId('editor'), ytext, awareness })
  render()
  Object.assign(window, { collab: { doc, ytext, awareness, provider, rich: rich.editor, view: code.view } })
}
