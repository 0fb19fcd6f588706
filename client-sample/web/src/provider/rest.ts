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
export interface BranchDetails extends BranchInfo { forkHash: string, parentHeadSeq: number | null, ahead: number | null, behind: number | null }
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
}
