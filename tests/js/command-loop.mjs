// The stdin/stdout protocol every Node test peer speaks with its .NET test (Infrastructure/NodePeers.cs): one JSON
// request per line ({seq, cmd, ...}), one JSON answer per line ({seq, ok, ...result} or {seq, ok: false, error}).
import readline from 'node:readline'

/** Answers requests from stdin with `commands[cmd](request)` until stdin closes. */
export function serveCommands (commands) {
  const rl = readline.createInterface({ input: process.stdin })
  rl.on('line', async (line) => {
    if (!line.trim()) return
    let msg
    try { msg = JSON.parse(line) } catch { return }
    try {
      const fn = commands[msg.cmd]
      if (!fn) throw new Error(`unknown command ${msg.cmd}`)
      const result = await fn(msg)
      process.stdout.write(JSON.stringify({ seq: msg.seq, ok: true, ...result }) + '\n')
    } catch (e) {
      process.stdout.write(JSON.stringify({ seq: msg.seq, ok: false, error: String(e?.stack ?? e) }) + '\n')
    }
  })
  rl.on('close', () => process.exit(0))
}
