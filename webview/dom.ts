/**
 * The only way the webview makes DOM: `h(tag, props, ...children)`. Strings become text nodes (never HTML),
 * attributes are set one by one, so a tensor named `<img src=x onerror=alert(1)>` is shown as those characters.
 */
export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  title?: string;
  /** data-* and aria-* and other plain attributes */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (e: HTMLElementEventMap[K]) => void }>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, props?: Props | null, ...children: Child[]): HTMLElement;
export function h(tag: string, props?: Props | null, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (props) applyProps(el, props);
  append(el, children);
  return el;
}

export function applyProps(el: HTMLElement, props: Props): void {
  if (props.class) el.className = props.class;
  if (props.title !== undefined) el.title = props.title;
  if (props.attrs) {
    for (const [k, v] of Object.entries(props.attrs)) {
      if (v === undefined || v === false) continue;
      if (/^on/i.test(k) || k.toLowerCase() === 'style' || k.toLowerCase() === 'srcdoc') throw new Error(`refusing attribute ${k}`);
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  if (props.on) {
    for (const [type, fn] of Object.entries(props.on)) if (fn) el.addEventListener(type, fn as EventListener);
  }
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function setText(el: Node, text: string): void {
  el.textContent = text;
}

/** `text with \`code\` spans` → text nodes and <code> elements (still text only). */
export function richText(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  text.split(/(`[^`]*`)/).forEach((part) => {
    if (part.startsWith('`') && part.endsWith('`') && part.length >= 2) frag.appendChild(h('code', null, part.slice(1, -1)));
    else if (part) frag.appendChild(document.createTextNode(part));
  });
  return frag;
}
