// Stock y-websocket `WebsocketProvider` peers (y-websocket 3.1.0, `ws` as Node 20's WebSocket) for the tests of
// Collab's y-websocket endpoint (tests/Collab.Client.Tests/YWebsocketTests.cs). Nothing here knows Collab: the
// providers are used as any y-websocket app uses them.
//
// Protocol: one JSON command per stdin line, one JSON reply per stdout line, `{ "seq": n, "ok": true, ... }` or
// `{ "seq": n, "ok": false, "error": "..." }`.
//   open       { peer, url, doc, params?, waitSynced? }   url is the server's ws://…/ws; params e.g. { token, branch }
//   insert     { peer, index, text } / delete { peer, index, length }
//   text       { peer }            → { text, synced, connected }
//   awareness  { peer, state }     sets the local awareness state
//   peers      { peer }            → { states: [[clientId, state], ...] } remote awareness states
//   status     { peer }            → { connected, synced, denied: [reason], closes: [{ code, reason }], final }
//   disconnect { peer } / connect { peer }
//   raw        { url, frames: [base64] }  a bare `ws` socket: sends the frames after the server's first message,
//              waits for the close (or 3 s of quiet) → { code, reason, received: [base64] }
//   close      {}                  destroys every peer; the process then exits
import { serveCommands } from './command-loop.mjs'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const peers = new Map()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// y-websocket reports "permission denied" with console.warn(`Permission denied to access ${url}.\n${reason}`).
const warn = console.warn
console.warn = (...args) => {
  const text = String(args[0] ?? '')
  const match = /^Permission denied to access (.*?)\.\n([\s\S]*)$/.exec(text)
  if (match) {
    for (const p of peers.values()) if (p.provider.url === match[1]) p.denied.push(match[2])
    return
  }
  warn(...args)
}

const peer = (name) => {
  const p = peers.get(name)
  if (!p) throw new Error(`no peer named ${name}`)
  return p
}

const commands = {
  async open ({ peer: name, url, doc, params = {}, waitSynced = true }) {
    const ydoc = new Y.Doc()
    const provider = new WebsocketProvider(url, doc, ydoc, { params, WebSocketPolyfill: WebSocket, disableBc: true, maxBackoffTime: 500 })
    const p = { ydoc, text: ydoc.getText('content'), provider, denied: [], closes: [], final: null }
    provider.on('connection-close', (event) => { if (event) p.closes.push({ code: event.code, reason: String(event.reason ?? '') }) })
    provider.on('closed', (event) => { p.final = event })
    peers.set(name, p)
    if (waitSynced) {
      const deadline = Date.now() + 20000
      while (!provider.synced) {
        if (Date.now() > deadline) throw new Error(`${name} did not sync: ${JSON.stringify({ denied: p.denied, closes: p.closes })}`)
        await sleep(20)
      }
    }
    return { clientId: ydoc.clientID }
  },
  insert ({ peer: name, index, text }) { peer(name).text.insert(index, text); return {} },
  delete ({ peer: name, index, length }) { peer(name).text.delete(index, length); return {} },
  text ({ peer: name }) {
    const p = peer(name)
    return { text: p.text.toString(), synced: p.provider.synced, connected: p.provider.wsconnected }
  },
  awareness ({ peer: name, state }) { peer(name).provider.awareness.setLocalState(state); return {} },
  peers ({ peer: name }) {
    const p = peer(name)
    const states = []
    p.provider.awareness.getStates().forEach((s, id) => { if (id !== p.ydoc.clientID) states.push([id, s]) })
    return { states }
  },
  status ({ peer: name }) {
    const p = peer(name)
    return { connected: p.provider.wsconnected, synced: p.provider.synced, denied: p.denied, closes: p.closes, final: p.final }
  },
  disconnect ({ peer: name }) { peer(name).provider.disconnect(); return {} },
  connect ({ peer: name }) { peer(name).provider.connect(); return {} },
  raw ({ url, frames }) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.binaryType = 'nodebuffer'
      const received = []
      let sent = false
      let quiet = null
      const done = (code, reason) => { clearTimeout(quiet); resolve({ code, reason, received }) }
      ws.on('message', (data) => {
        received.push(Buffer.from(data).toString('base64'))
        if (!sent) {
          sent = true
          for (const f of frames) ws.send(Buffer.from(f, 'base64'))
          quiet = setTimeout(() => { ws.close(); }, 3000)
        }
      })
      ws.on('close', (code, reason) => done(code, reason.toString()))
      ws.on('error', (e) => reject(e))
    })
  },
  async close () {
    for (const p of peers.values()) p.provider.destroy()
    peers.clear()
    setTimeout(() => process.exit(0), 10)
    return {}
  }
}

serveCommands(commands)
