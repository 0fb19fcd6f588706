// What every view of the workspace gets: the signed-in user, the REST client, the hub, and the open branch.
// Views are separate modules (src/views/*.ts) mounted into the side panels; new views (history, review…) plug in
// the same way as their APIs land.

import type { CollabApi, CollabHub, CollabProvider, Role } from '../provider/index.js'

export interface AppContext {
  readonly api: CollabApi
  readonly hub: CollabHub
  readonly user: string
  readonly documentId: string
  /** The branch open now. */
  branch: () => string
  /** Whether a branch is open (false for a moment while the page switches branches). */
  hasBranch: () => boolean
  /** The provider of the branch open now (replaced when the branch changes). */
  provider: () => CollabProvider
  /** The caller's role on the document. */
  role: () => Role | null
  /** Opens another branch of the document (a fresh Y.Doc: a fresh Yjs client id). */
  switchBranch: (branch: string) => Promise<void>
  showError: (e: unknown) => void
  /** Shows a short confirmation in the status area. */
  notify: (text: string) => void
}

/** A mounted view. `refresh` is called when the branch or the role changes, and on branch notifications. */
export interface View {
  refresh: () => void | Promise<void>
  destroy?: () => void
}
