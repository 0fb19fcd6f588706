// Writes v8-sort-cases.txt.gz: arrays sorted by V8's Array.prototype.sort with the comparator of yjs's mergeUpdates,
// which is inconsistent (kinds G and I at the same key are each "less" than the other; S sorts last). One case a
// line: "key+kind ..." then "|" then the resulting order as input indexes. Run: node v8-sort-cases.mjs (Node 20).
import fs from 'node:fs'
import zlib from 'node:zlib'
let s = 777
const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
const cmp = (a, b) => a.k !== b.k ? a.k - b.k : (a.t === b.t ? 0 : (a.t === 'S' ? 1 : -1))
const lines = []
for (let c = 0; c < 250; c++) {
  const n = c < 100 ? 2 + Math.floor(rnd() * 62) : 64 + Math.floor(rnd() * 260)
  const keys = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 6 : n))
  let arr = []
  for (let i = 0; i < n; i++) arr.push({ i, k: Math.floor(rnd() * keys), t: rnd() < 0.5 ? 'G' : (rnd() < 0.8 ? 'I' : 'S') })
  if (rnd() < 0.3) arr.sort((a, b) => a.k - b.k)
  if (rnd() < 0.2) arr.reverse()
  arr.forEach((e, i) => { e.i = i })
  const sorted = arr.slice().sort(cmp).map(e => e.i)
  lines.push(arr.map(e => e.k + e.t).join(' ') + '|' + sorted.join(' '))
}
fs.writeFileSync(new URL('./v8-sort-cases.txt.gz', import.meta.url), zlib.gzipSync(lines.join('\n') + '\n', { level: 9 }))
