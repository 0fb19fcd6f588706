// Offline persistence: a Y.Doc bound to IndexedDB (y-indexeddb), one database per (document, branch). Edits made
// while offline survive closing the tab; the next handshake's SyncStep2 sends whatever the server lacks.
// Browser only (IndexedDB); kept out of index.ts so that the provider also runs in Node.

import { IndexeddbPersistence } from 'y-indexeddb'
import type * as Y from 'yjs'
import type { CollabProvider } from './provider.js'

/** The IndexedDB database name of (document, branch). */
export const offlineStoreName = (documentId: string, branch: string): string => `collab:${documentId}:${branch}`

/**
 * Loads what IndexedDB holds for (document, branch) into `doc` and keeps storing the doc's changes there.
 * Await it BEFORE creating the provider, so that the first handshake already carries the restored edits.
 */
export const loadOffline = async (documentId: string, branch: string, doc: Y.Doc): Promise<IndexeddbPersistence | null> => {
  if (typeof indexedDB === 'undefined') return null
  const persistence = new IndexeddbPersistence(offlineStoreName(documentId, branch), doc)
  try {
    // A browser that refuses IndexedDB (some private modes) fails the open: carry on without offline storage.
    await persistence._db
  } catch {
    return null
  }
  await persistence.whenSynced
  return persistence
}

/**
 * Follows the provider to a new branch after {@link CollabProvider.moveToBranch}: the document is stored under the new
 * branch and the old branch's database is deleted (what it held is on the server, or went to the new branch; keeping
 * it would later send the new branch's items to the old one, which the server refuses as client_id_diverged).
 */
export const followMoves = (provider: CollabProvider, initial: IndexeddbPersistence | null): { current: () => IndexeddbPersistence | null, stop: () => void } => {
  let current = initial
  const onBranch = ({ branch }: { branch: string }): void => {
    const old = current
    if (old === null) return
    current = new IndexeddbPersistence(offlineStoreName(provider.documentId, branch), provider.doc)
    void old.clearData()
  }
  provider.on('branch', onBranch)
  return { current: () => current, stop: () => provider.off('branch', onBranch) }
}
