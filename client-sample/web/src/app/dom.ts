// Tiny DOM helpers: the sample uses no UI framework, so that the provider wiring stays the visible part.

type Attrs = Record<string, string | number | boolean | EventListener | undefined>

/** Creates an element: `h('button', { type: 'button', onclick: … }, 'Save')`. */
export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Node | string | null | undefined>): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value)
    else if (value === true) el.setAttribute(name, '')
    else el.setAttribute(name, String(value))
  }
  for (const child of children) if (child !== null && child !== undefined) el.append(child)
  return el
}

/** The element with this id (throws when the page lacks it: a wiring bug). */
export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`#${id} is missing from the page`)
  return el as T
}

/** A readable message for anything thrown. */
export const messageOf = (e: unknown): string => {
  if (e instanceof Error) return e.message
  return String(e)
}

const palette = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22']

/** A stable colour per user name. */
export const colorFor = (name: string): string =>
  palette[Array.from(name).reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) >>> 0, 7) % palette.length]!

/** Colours for a set of people shown together (blame): each one's own colour, unless two share it; then the next free one. */
export const colorsFor = (names: readonly string[]): Map<string, string> => {
  const used = new Set<string>()
  const colors = new Map<string, string>()
  for (const name of names) {
    let i = palette.indexOf(colorFor(name))
    for (let tries = 0; used.has(palette[i]!) && tries < palette.length; tries++) i = (i + 1) % palette.length
    used.add(palette[i]!)
    colors.set(name, palette[i]!)
  }
  return colors
}

/**
 * Calls `refresh` whenever the `<details>` panel around `root` is opened: some changes (a document setting, records on
 * another branch) send this page no notification, so a panel reloads when someone looks at it. Returns the undo.
 */
export const refreshWhenOpened = (root: HTMLElement, refresh: () => unknown): (() => void) => {
  const panel = root.closest('details')
  const onToggle = (): void => { if (panel?.open === true) void refresh() }
  panel?.addEventListener('toggle', onToggle)
  return () => panel?.removeEventListener('toggle', onToggle)
}
