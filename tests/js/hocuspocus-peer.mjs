// Stock @hocuspocus/provider peers (4.8.0, `ws` as Node 20's WebSocket) for the tests of Collab's Hocuspocus endpoint
// (tests/Collab.Client.Tests/HocuspocusTests.cs). Nothing here knows Collab.
//
// Protocol: one JSON command per stdin line, one JSON reply per stdout line (as ywebsocket-peer.mjs).
//   socket     { socket, url }                  one HocuspocusProviderWebsocket (many documents share it)
//   open       { peer, socket, name, token?, waitSynced? }   a HocuspocusProvider for document `name` on that socket
//   insert     { peer, index, text }
//   text       { peer }        → { text, synced, unsynced, authenticated, scope }
//   status     { peer }        → { ..., denied: [reason], stateless: [payload], closes: [code] }
//   awareness  { peer, state } / peers { peer } → { states }
//   stateless  { peer, payload }
//   raw        { url, frames: [base64], waitMs? }  a bare `ws` socket → { code, reason, received: [base64] }
//   type       { peer, prefix }  types `[prefix0]`, `[prefix1]`… at the end, one at a time, each after the one before
//              was acknowledged (unsynced changes back to 0), until `stopTyping`
//   typed      { peer }        → { typed: [token], acked: [token] }   acked: seen acknowledged by the provider
//   stopTyping { peer }
//   close      {}
import { serveCommands } from './command-loop.mjs'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'

const sockets = new Map()
const peers = new Map()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const peer = (name) => {
  const p = peers.get(name)
  if (!p) throw new Error(`no peer named ${name}`)
  return p
}
const describe = (p) => ({
  text: p.text.toString(),
  synced: p.provider.isSynced,
  unsynced: p.provider.unsyncedChanges,
  authenticated: p.provider.isAuthenticated,
  scope: p.provider.authorizedScope ?? null,
  denied: p.denied,
  stateless: p.stateless,
  closes: p.socket.closes
})

const commands = {
  socket ({ socket: name, url }) {
    const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket })
    const s = { socket, closes: [] }
    socket.on('close', ({ event }) => s.closes.push(event?.code ?? null))
    sockets.set(name, s)
    return {}
  },
  async open ({ peer: name, socket, name: documentName, token = '', waitSynced = true }) {
    const s = sockets.get(socket)
    const ydoc = new Y.Doc()
    const provider = new HocuspocusProvider({ websocketProvider: s.socket, name: documentName, document: ydoc, token })
    const p = { ydoc, text: ydoc.getText('content'), provider, socket: s, denied: [], stateless: [] }
    provider.on('authenticationFailed', ({ reason }) => p.denied.push(reason))
    provider.on('stateless', ({ payload }) => p.stateless.push(payload))
    peers.set(name, p)
    provider.attach()
    if (waitSynced) {
      const deadline = Date.now() + 20000
      while (!(provider.isSynced && provider.unsyncedChanges === 0)) {
        if (Date.now() > deadline) throw new Error(`${name} did not sync: ${JSON.stringify(describe(p))}`)
        await sleep(20)
      }
    }
    return { clientId: ydoc.clientID }
  },
  insert ({ peer: name, index, text }) { peer(name).text.insert(index, text); return {} },
  text ({ peer: name }) { return describe(peer(name)) },
  status ({ peer: name }) { return describe(peer(name)) },
  awareness ({ peer: name, state }) { peer(name).provider.awareness.setLocalState(state); return {} },
  peers ({ peer: name }) {
    const p = peer(name)
    const states = []
    p.provider.awareness.getStates().forEach((s, id) => { if (id !== p.ydoc.clientID) states.push([id, s]) })
    return { states }
  },
  stateless ({ peer: name, payload }) { peer(name).provider.sendStateless(payload); return {} },
  raw ({ url, frames, waitMs = 3000 }) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      const received = []
      let timer = null
      ws.on('open', () => {
        for (const f of frames) ws.send(Buffer.from(f, 'base64'))
        timer = setTimeout(() => ws.close(), waitMs)
      })
      ws.on('message', (data) => received.push(Buffer.from(data).toString('base64')))
      ws.on('close', (code, reason) => { clearTimeout(timer); resolve({ code, reason: reason.toString(), received }) })
      ws.on('error', (e) => reject(e))
    })
  },
  type ({ peer: name, prefix }) {
    const p = peer(name)
    p.typing = { typed: [], acked: [], stop: false }
    const t = p.typing
    ;(async () => {
      for (let i = 0; !t.stop; i++) {
        const token = `[${prefix}${i}]`
        t.typed.push(token)
        // The insert raises unsyncedChanges at once; only the server's sync-status "applied" brings it back to 0
        // (a close leaves it as it is, a reconnect sets it to 1).
        p.text.insert(p.text.length, token)
        while (!t.stop && p.provider.unsyncedChanges !== 0) await sleep(2)
        if (t.stop) return
        t.acked.push(token)
      }
    })()
    return {}
  },
  typed ({ peer: name }) {
    const t = peer(name).typing
    return { typed: [...t.typed], acked: [...t.acked] }
  },
  stopTyping ({ peer: name }) { peer(name).typing.stop = true; return {} },
  async close () {
    for (const p of peers.values()) {
      if (p.typing) p.typing.stop = true
      p.provider.destroy()
    }
    for (const s of sockets.values()) s.socket.destroy()
    peers.clear()
    setTimeout(() => process.exit(0), 10)
    return {}
  }
}

serveCommands(commands)
