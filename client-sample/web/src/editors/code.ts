// Plain text / Markdown: CodeMirror 6 bound to the Y.Text `content` (the root the .NET client and the load generator
// edit too) with y-codemirror.next, which also draws other people's carets and selections from awareness.

import { EditorView, basicSetup } from 'codemirror'
import { EditorState, Compartment } from '@codemirror/state'
import { markdown } from '@codemirror/lang-markdown'
import { yCollab } from 'y-codemirror.next'
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'

/** Name of the Y.Text every Collab client edits. */
export const textName = 'content'

export interface CodeEditor {
  view: EditorView
  setEditable: (editable: boolean) => void
  destroy: () => void
}

export const createCodeEditor = (options: { parent: HTMLElement, ytext: Y.Text, awareness: Awareness }): CodeEditor => {
  const readOnly = new Compartment()
  const view = new EditorView({
    state: EditorState.create({
      doc: options.ytext.toString(),
      extensions: [
        basicSetup,
        markdown(),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': 'Plain text and Markdown' }),
        yCollab(options.ytext, options.awareness),
        readOnly.of(EditorState.readOnly.of(false))
      ]
    }),
    parent: options.parent
  })
  return {
    view,
    setEditable: (editable) => view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(!editable)) }),
    destroy: () => view.destroy()
  }
}
