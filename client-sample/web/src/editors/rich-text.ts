// Rich text: Tiptap 3 bound to the Y.XmlFragment `rich` (Collaboration = y-tiptap sync + undo), other people's carets
// and selections from awareness (CollaborationCaret), and a small keyboard-reachable toolbar.

import { Editor } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { h } from '../app/dom.js'

/** Name of the XML fragment the rich-text editor edits. */
export const richFragmentName = 'rich'

export interface RichTextEditor {
  editor: Editor
  setEditable: (editable: boolean) => void
  destroy: () => void
}

interface ToolButton { label: string, text: string, run: (e: Editor) => void, active: (e: Editor) => boolean }

const buttons: ToolButton[] = [
  { label: 'Heading 1', text: 'H1', run: (e) => e.chain().focus().toggleHeading({ level: 1 }).run(), active: (e) => e.isActive('heading', { level: 1 }) },
  { label: 'Heading 2', text: 'H2', run: (e) => e.chain().focus().toggleHeading({ level: 2 }).run(), active: (e) => e.isActive('heading', { level: 2 }) },
  { label: 'Bold', text: 'B', run: (e) => e.chain().focus().toggleBold().run(), active: (e) => e.isActive('bold') },
  { label: 'Italic', text: 'I', run: (e) => e.chain().focus().toggleItalic().run(), active: (e) => e.isActive('italic') },
  { label: 'Bullet list', text: '• List', run: (e) => e.chain().focus().toggleBulletList().run(), active: (e) => e.isActive('bulletList') },
  { label: 'Numbered list', text: '1. List', run: (e) => e.chain().focus().toggleOrderedList().run(), active: (e) => e.isActive('orderedList') }
]

/** Mounts the editor into `parent` and its toolbar into `toolbar`. */
export const createRichTextEditor = (options: {
  parent: HTMLElement
  toolbar: HTMLElement
  doc: Y.Doc
  awareness: Awareness
  user: { name: string, color: string, colorLight: string }
}): RichTextEditor => {
  const editor = new Editor({
    element: options.parent,
    extensions: [
      // Collaboration brings its own undo (per user, through Yjs); the plain history would undo other people's work.
      StarterKit.configure({ undoRedo: false, link: { openOnClick: false, autolink: true } }),
      Collaboration.configure({ fragment: options.doc.getXmlFragment(richFragmentName) }),
      CollaborationCaret.configure({ provider: { awareness: options.awareness }, user: options.user })
    ],
    editorProps: { attributes: { 'aria-label': 'Rich text', role: 'textbox', 'aria-multiline': 'true' } }
  })

  const toolButtons = buttons.map((b) => {
    const el = h('button', { type: 'button', 'aria-label': b.label, title: b.label, 'aria-pressed': 'false', onclick: () => b.run(editor) }, b.text)
    return { b, el }
  })
  const linkInput = h('input', { type: 'url', placeholder: 'https://…', 'aria-label': 'Link address', class: 'link-input' })
  const applyLink = (): void => {
    const href = linkInput.value.trim()
    if (href === '') editor.chain().focus().extendMarkRange('link').unsetLink().run()
    else editor.chain().focus().extendMarkRange('link').setLink({ href }).run()
  }
  linkInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); applyLink() } })
  const linkButton = h('button', { type: 'button', title: 'Link the selection (empty address: remove the link)', onclick: applyLink }, 'Link')
  options.toolbar.replaceChildren(...toolButtons.map((t) => t.el), linkInput, linkButton)

  const refresh = (): void => {
    for (const { b, el } of toolButtons) el.setAttribute('aria-pressed', String(b.active(editor)))
    if (document.activeElement !== linkInput) linkInput.value = (editor.getAttributes('link').href as string | undefined) ?? ''
  }
  editor.on('selectionUpdate', refresh)
  editor.on('transaction', refresh)

  return {
    editor,
    setEditable: (editable) => {
      editor.setEditable(editable)
      for (const { el } of toolButtons) el.toggleAttribute('disabled', !editable)
      linkInput.toggleAttribute('disabled', !editable)
      linkButton.toggleAttribute('disabled', !editable)
    },
    destroy: () => {
      editor.destroy()
      options.toolbar.replaceChildren()
    }
  }
}
