// The REST API next to the hub (docs/server.md, docs/branching.md), typed. Errors are problem+json: the thrown
// ApiError carries the status, the title (a stable code such as `forbidden`) and the detail sentence.

import { trimSlash } from './wire.js'
import type { Role } from './provider.js'

/** A failed REST call. */
export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) { super(message) }
}

export interface DocumentInfo { id: string, title: string, createdBy: string, createdAt: string, role: Role }
export interface BranchInfo { name: string, parent: string | null, forkSeq: number, headSeq: number, headHash: string, state: string, createdBy: string, createdAt: string }
export interface BranchDetails extends BranchInfo { forkHash: string, parentHeadSeq: number | null, ahead: number | null, behind: number | null, protected?: boolean }
export interface Permission { documentId: string, user: string, role: Role }
export interface Position { branch: string, seq: number, hash: string }
export interface Conflict {
  id: string, kind: string, root: string, path: string[], key: string | null, start: string | null, end: string | null,
  base: string | null, ours: string | null, theirs: string | null, merged: string | null, automaticOutcome: string
}
export interface MergeResult {
  mergeId: string | null, dryRun: boolean, nothingToMerge: boolean, seq: number | null, source: Position, target: Position,
  base: Position, attempts: number, targetMovedDuringMerge: boolean, conflicts: Conflict[], mergedJson: string
}
export interface EventInfo { seq: number, kind: string, author: string, serverTime: string, updateId: string | null, clientIds: number[], hash: string, previousHash: string }
export interface Review { reviewer: string, verdict: 'approve' | 'request-changes', comment: string | null, at: string, seq: number }
export interface ProposalSummary { sourceHead: number, targetHead: number, sourceAheadOfBase: number | null, targetAheadOfBase: number | null, conflicts: number, nothingToMerge: boolean }
/** A merge proposal (docs/branching.md "Proposals, protected branches and the audit trail"). */
export interface Proposal {
  id: string, source: string, target: string, title: string, description: string, author: string, openedAt: string, openedSeq: number,
  state: 'open' | 'merged' | 'closed', review: 'none' | 'approved' | 'changes-requested', approvedSourceSeq: number | null, reviews: Review[],
  mergeId: string | null, mergedBy: string | null, mergedAt: string | null, closedBy: string | null, closedAt: string | null, updatedAt: string,
  targetProtected: boolean, blockers: string[] | null, preview: MergeResult | null, summary: ProposalSummary | null
}
export type Choice = 'merged' | 'ours' | 'theirs' | 'custom'
export interface Decision { conflictId: string, choice: Choice, customText: string | null, author: string, recordedAt: string, seq: number, resolutionId: string, properties: Record<string, string> }
export interface ConflictState { mergeId: string, state: 'open' | 'decided', conflict: Conflict, decision: Decision | null }
export interface ResolutionResult { resolutionId: string, mergeId: string, seq: number, contentChanged: boolean, attempts: number, decisions: Decision[] }
export interface Protection { branch: string, by: string, at: string, seq: number }
export interface AuditEntry { type: string, kind: string, branch: string, seq: number, by: string, at: string, hash: string, fields: Record<string, string>, conflicts: Array<{ id: string, kind: string, automaticOutcome: string }> | null }
export interface AuditPage { entries: AuditEntry[], next: string, hasMore: boolean }
export interface EventMark { branch: string, seq: number, author: string, time: string, kind: string }
export interface VersionInfo { name: string, branch: string, seq: number, createdBy: string, createdAt: string, recordBranch: string, recordSeq: number }
export interface ActivitySession { author: string, firstSeq: number, lastSeq: number, firstTime: string, lastTime: string, events: number, charsInserted: number, valuesInserted: number, deleted: number, roots: string[], kinds: string[], branches: string[] }
export interface Activity { position: Position, sessions: ActivitySession[], versions: VersionInfo[] }
/** One root at a position: `text` for a text root, `xml` (the children as markup) for an XML fragment such as `rich`. */
export interface RootContent { name: string, kind: string, text: string | null, xml?: string | null }
export interface VersionContent { position: Position & { headSeq: number }, roots: RootContent[] }
export interface DiffSegment { op: 'equal' | 'insert' | 'delete' | 'modify', length: number, content: string, key: string | null, oldContent: string | null, insertedBy: EventMark | null, deletedBy: EventMark | null }
export interface Diff { base: Position, head: Position, roots: Array<{ name: string, kind: string, inserted: number, deleted: number, segments: DiffSegment[] }> }
export interface Blame { position: Position, roots: Array<{ name: string, kind: string, ranges: Array<{ start: number, length: number, content: string, insertedBy: EventMark | null }> }>, authors: Array<{ author: string, units: number }> }
export interface RestoreResult { version: string, branch: string, seq: number | null, headBefore: number, clientId: number, changed: boolean }
/** The document's settings (`GET/PUT /api/documents/{id}/settings`). */
export interface DocumentSettings { editorsMayMerge: boolean }
export interface Verification { valid: boolean, headSeq: number, headHash: string, eventsChecked: number, firstBrokenSeq: number | null, firstBrokenReason: string | null }

/** Development sign-in: `POST /api/dev/token {"user"}` → the JWT. */
export const devSignIn = async (serverUrl: string, user: string): Promise<string> => {
  const res = await fetch(trimSlash(serverUrl) + '/api/dev/token', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user })
  })
  if (!res.ok) throw new ApiError(res.status, 'sign_in_failed', `Sign-in failed: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { token: string }).token
}

const enc = encodeURIComponent

/** A typed client of the documents / branches / merges / permissions endpoints for one signed-in user. */
export class CollabApi {
  constructor (readonly serverUrl: string, private readonly getToken: () => string) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.getToken()}` }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const init: RequestInit = { method, headers }
    if (body !== undefined) init.body = JSON.stringify(body)
    const res = await fetch(trimSlash(this.serverUrl) + path, init)
    if (!res.ok) {
      let code = String(res.status)
      let message = `${method} ${path}: ${res.status}`
      try {
        const problem = (await res.json()) as { title?: string, detail?: string }
        code = problem.title ?? code
        message = problem.detail ?? problem.title ?? message
      } catch { /* not problem+json */ }
      throw new ApiError(res.status, code, message)
    }
    return (res.status === 204 ? null : await res.json()) as T
  }

  listDocuments (): Promise<DocumentInfo[]> { return this.call('GET', '/api/documents') }
  getDocument (id: string): Promise<DocumentInfo> { return this.call('GET', `/api/documents/${enc(id)}`) }
  createDocument (title: string, id?: string): Promise<DocumentInfo> {
    return this.call('POST', '/api/documents', id === undefined ? { title } : { id, title })
  }

  listBranches (id: string): Promise<BranchInfo[]> { return this.call('GET', `/api/documents/${enc(id)}/branches`) }
  /** One branch with ahead/behind against its parent. Branch names may contain `/`, kept as path segments. */
  getBranch (id: string, branch: string): Promise<BranchDetails> {
    return this.call('GET', `/api/documents/${enc(id)}/branches/${branch.split('/').map(enc).join('/')}`)
  }

  /** Forks `name` from `from` at `seq` (its head when omitted). */
  fork (id: string, name: string, from: string, seq?: number): Promise<BranchDetails> {
    return this.call('POST', `/api/documents/${enc(id)}/branches`, { name, from: seq === undefined ? { branch: from } : { branch: from, seq } })
  }

  merge (id: string, source: string, target: string, dryRun: boolean, message?: string): Promise<MergeResult> {
    return this.call('POST', `/api/documents/${enc(id)}/merges`, { source, target, dryRun, message })
  }

  permissions (id: string): Promise<Permission[]> { return this.call('GET', `/api/documents/${enc(id)}/permissions`) }
  grant (id: string, user: string, role: Role): Promise<Permission> {
    return this.call('PUT', `/api/documents/${enc(id)}/permissions/${enc(user)}`, { role })
  }

  revoke (id: string, user: string): Promise<null> { return this.call('DELETE', `/api/documents/${enc(id)}/permissions/${enc(user)}`) }

  events (id: string, branch: string, from = 1, max = 100): Promise<EventInfo[]> {
    return this.call('GET', `/api/documents/${enc(id)}/events?branch=${enc(branch)}&from=${from}&max=${max}`)
  }

  verify (id: string, branch: string): Promise<Verification> {
    return this.call('GET', `/api/documents/${enc(id)}/verify?branch=${enc(branch)}`)
  }

  // Proposals and protection (owner merges; editors and owners open and review, never their own).
  openProposal (id: string, source: string, target: string, title: string, description?: string): Promise<Proposal> {
    return this.call('POST', `/api/documents/${enc(id)}/proposals`, { source, target, title, description })
  }

  listProposals (id: string, state: 'open' | 'merged' | 'closed' | 'all' = 'open'): Promise<Proposal[]> {
    return this.call('GET', `/api/documents/${enc(id)}/proposals?state=${state}`)
  }

  /** One proposal; while open, with a live merge preview (conflicts) and its blockers. */
  getProposal (id: string, pid: string): Promise<Proposal> { return this.call('GET', `/api/documents/${enc(id)}/proposals/${enc(pid)}`) }
  reviewProposal (id: string, pid: string, verdict: 'approve' | 'request-changes', comment?: string): Promise<Proposal> {
    return this.call('POST', `/api/documents/${enc(id)}/proposals/${enc(pid)}/reviews`, { verdict, comment })
  }

  /** Merges a proposal; `resolutions` (owner) decide its conflicts in the same request, by the preview's conflict ids. */
  mergeProposal (id: string, pid: string, message?: string, resolutions?: Array<{ conflictId: string, choice: Choice, content?: string }>): Promise<Proposal> {
    return this.call('POST', `/api/documents/${enc(id)}/proposals/${enc(pid)}/merge`, resolutions === undefined || resolutions.length === 0 ? { message } : { message, resolutions })
  }

  settings (id: string): Promise<DocumentSettings> { return this.call('GET', `/api/documents/${enc(id)}/settings`) }
  /** Owner: `editorsMayMerge` lets editors merge (proposals and direct merges) into unprotected branches. */
  setSettings (id: string, settings: DocumentSettings): Promise<DocumentSettings> {
    return this.call('PUT', `/api/documents/${enc(id)}/settings`, settings)
  }

  closeProposal (id: string, pid: string, comment?: string): Promise<Proposal> {
    return this.call('POST', `/api/documents/${enc(id)}/proposals/${enc(pid)}/close`, { comment })
  }

  protect (id: string, branch: string): Promise<Protection> {
    return this.call('PUT', `/api/documents/${enc(id)}/branches/${branch.split('/').map(enc).join('/')}/protection`)
  }

  unprotect (id: string, branch: string): Promise<null> {
    return this.call('DELETE', `/api/documents/${enc(id)}/branches/${branch.split('/').map(enc).join('/')}/protection`)
  }

  // Decisions on a merge's conflicts (owner). A merge id holding '/' travels as %2F.
  resolve (id: string, mergeId: string, decisions: Array<{ conflictId: string, choice: Choice, content?: string }>, message?: string): Promise<ResolutionResult> {
    return this.call('POST', `/api/documents/${enc(id)}/merges/${enc(mergeId)}/resolutions`, { decisions, message })
  }

  conflicts (id: string, state: 'open' | 'decided' | 'all' = 'open'): Promise<ConflictState[]> {
    return this.call('GET', `/api/documents/${enc(id)}/conflicts?state=${state}`)
  }

  /** The document-wide audit trail (owner, auditor): pass the last page's `next` as `after` to read on. */
  audit (id: string, after?: string, limit = 200): Promise<AuditPage> {
    return this.call('GET', `/api/documents/${enc(id)}/audit?limit=${limit}${after === undefined ? '' : `&after=${enc(after)}`}`)
  }

  // History (docs/history-and-audit.md): content at any seq (any role); compare, blame, activity (owner, auditor);
  // named versions (listing: any role; naming and restoring: editor, owner).
  content (id: string, branch: string, seq?: number): Promise<VersionContent> {
    return this.call('GET', `/api/documents/${enc(id)}/history/content?branch=${enc(branch)}${seq === undefined ? '' : `&seq=${seq}`}`)
  }

  /** Positions are `branch`, `branch@seq` or `version:name`. */
  compare (id: string, base: string, head: string): Promise<Diff> {
    return this.call('GET', `/api/documents/${enc(id)}/history/compare?base=${enc(base)}&head=${enc(head)}`)
  }

  blame (id: string, branch: string, root: string, seq?: number): Promise<Blame> {
    return this.call('GET', `/api/documents/${enc(id)}/history/blame?branch=${enc(branch)}&root=${enc(root)}${seq === undefined ? '' : `&seq=${seq}`}`)
  }

  activity (id: string, branch: string, groupGap = '5m'): Promise<Activity> {
    return this.call('GET', `/api/documents/${enc(id)}/history/activity?branch=${enc(branch)}&groupGap=${enc(groupGap)}`)
  }

  versions (id: string): Promise<VersionInfo[]> { return this.call('GET', `/api/documents/${enc(id)}/versions`) }
  nameVersion (id: string, name: string, branch: string, seq: number): Promise<VersionInfo> {
    return this.call('POST', `/api/documents/${enc(id)}/versions`, { name, branch, seq })
  }

  restoreVersion (id: string, name: string, branch: string): Promise<RestoreResult> {
    return this.call('POST', `/api/documents/${enc(id)}/versions/${enc(name)}/restore`, { branch })
  }
}
