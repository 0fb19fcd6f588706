// The Collab Yjs provider: copy this folder (src/provider) into your app. Runs in browsers and in Node 20+.
// Browser-only offline persistence lives in ./offline.ts (y-indexeddb).
export * as Y from 'yjs'
export * as awarenessProtocol from 'y-protocols/awareness'
export { CollabHub, createHubConnection } from './hub.js'
export type { CollabHubOptions, HubStatus, HubProtocolName, BranchEvent, HubMember } from './hub.js'
export { CollabProvider } from './provider.js'
export type { CollabProviderOptions, ProviderStatus, Role, PendingUpdate, JoinAnswer } from './provider.js'
export { CollabApi, ApiError, devSignIn } from './rest.js'
export type * from './rest.js'
export { errorCode, newUpdateId, hubPath } from './wire.js'
