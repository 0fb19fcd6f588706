// Sharing: the owner grants, changes and revokes roles (owner, editor, viewer, auditor) by user name, and sets
// whether editors may merge (the `editorsMayMerge` document setting: editors then merge proposals and branches into
// unprotected branches; protected ones stay the owners'). Others see the setting read-only.

import { h, messageOf, refreshWhenOpened } from '../app/dom.js'
import type { AppContext, View } from '../app/context.js'
import type { Permission, Role } from '../provider/index.js'

const roles: Role[] = ['owner', 'editor', 'viewer', 'auditor']
const roleSelect = (value: Role, label: string): HTMLSelectElement => {
  const s = h('select', { 'aria-label': label }, ...roles.map((r) => new Option(r, r)))
  s.value = value
  return s
}

export const mountShareView = (root: HTMLElement, ctx: AppContext): View => {
  const list = h('ul', { id: 'share-list', class: 'grants' })
  const user = h('input', { id: 'share-user', placeholder: 'user name', 'aria-label': 'User to share with', required: true })
  const role = roleSelect('editor', 'Role to give')
  role.id = 'share-role'
  const form = h('form', { class: 'row' }, user, role, h('button', { id: 'share-grant', type: 'submit' }, 'Share'))
  const note = h('p', { class: 'hint' })
  const mayMerge = h('input', { id: 'editors-may-merge', type: 'checkbox' })
  const mayMergeRow = h('div', { class: 'row setting' },
    h('label', {}, mayMerge, 'Editors may merge'),
    h('span', { class: 'hint' }, '(into unprotected branches; owners always may)'))
  mayMerge.addEventListener('change', () => {
    const value = mayMerge.checked
    mayMerge.disabled = true
    ctx.api.setSettings(ctx.documentId, { editorsMayMerge: value })
      .then((s) => { ctx.notify(s.editorsMayMerge ? 'Editors may merge now' : 'Only owners merge now') })
      .catch((e: unknown) => ctx.showError(`Could not change the setting: ${messageOf(e)}`))
      .finally(() => { void refresh().catch(ctx.showError) })
  })

  const render = (grants: Permission[]): void => {
    list.replaceChildren(...grants.map((g) => {
      const change = roleSelect(g.role, `Role of ${g.user}`)
      change.addEventListener('change', () => {
        ctx.api.grant(ctx.documentId, g.user, change.value as Role)
          .then(() => { ctx.notify(`${g.user} is now ${change.value}`); return refresh() })
          .catch((e: unknown) => { ctx.showError(`Could not change ${g.user}'s role: ${messageOf(e)}`); void refresh() })
      })
      const revoke = h('button', { type: 'button', 'aria-label': `Remove ${g.user}`, onclick: () => {
        ctx.api.revoke(ctx.documentId, g.user)
          .then(() => { ctx.notify(`${g.user} removed`); return refresh() })
          .catch((e: unknown) => ctx.showError(`Could not remove ${g.user}: ${messageOf(e)}`))
      } }, 'Remove')
      return h('li', { 'data-user': g.user }, h('span', { class: 'grant-user' }, g.user), change, revoke)
    }))
  }

  const refresh = async (): Promise<void> => {
    const owner = ctx.role() === 'owner'
    const settings = await ctx.api.settings(ctx.documentId)
    mayMerge.checked = settings.editorsMayMerge
    mayMerge.disabled = !owner
    mayMerge.title = owner ? '' : 'Only an owner changes this.'
    if (!owner) {
      note.textContent = `Only an owner can share this document; your role is ${ctx.role() ?? 'unknown'}.`
      root.replaceChildren(note, mayMergeRow)
      return
    }
    note.textContent = 'Editors write and fork; viewers read; auditors read and see the log; owners also share and merge.'
    root.replaceChildren(list, form, mayMergeRow, note)
    render(await ctx.api.permissions(ctx.documentId))
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const name = user.value.trim()
    ctx.api.grant(ctx.documentId, name, role.value as Role)
      .then(() => { user.value = ''; ctx.notify(`Shared with ${name} as ${role.value}`); return refresh() })
      .catch((err: unknown) => ctx.showError(`Could not share with ${name}: ${messageOf(err)}`))
  })
  const load = (): Promise<void> => refresh().catch(ctx.showError)
  return { refresh: load, destroy: refreshWhenOpened(root, load) }
}
