/**
 * The ONE module that knows the component library (`@vscode/webview-ui-toolkit`, archived upstream).
 * Everything else creates controls through these creators, so a swap to `@vscode-elements/elements`
 * changes only this file.
 */
import {
  provideVSCodeDesignSystem, vsCodeButton, vsCodeCheckbox, vsCodeTextField, vsCodeProgressRing, vsCodeBadge, vsCodeDivider,
} from '@vscode/webview-ui-toolkit';
import { applyProps, append, type Child, type Props } from '../dom';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeCheckbox(), vsCodeTextField(), vsCodeProgressRing(), vsCodeBadge(), vsCodeDivider());
}

function make(tag: string, props: Props | null | undefined, children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (props) applyProps(el, props);
  append(el, children);
  return el;
}

/** a button; `secondary` for the less prominent look, `icon` for a small square one */
export function button(label: string, onClick: () => void, options: { appearance?: 'primary' | 'secondary' | 'icon'; title?: string; id?: string } = {}): HTMLElement {
  const el = make('vscode-button', { title: options.title, attrs: { appearance: options.appearance ?? 'primary', id: options.id } }, [label]);
  el.addEventListener('click', () => onClick());
  return el;
}

/** a text field; `onInput` on every keystroke, `onEnter` on Enter */
export function textField(options: { value?: string; placeholder?: string; id?: string; label?: string; size?: number; onInput?: (v: string) => void; onEnter?: (v: string) => void }): HTMLElement & { value: string } {
  const el = make('vscode-text-field', { attrs: { placeholder: options.placeholder, id: options.id, size: options.size } }, options.label ? [options.label] : []) as HTMLElement & { value: string };
  el.value = options.value ?? '';
  el.addEventListener('input', () => options.onInput?.(el.value));
  el.addEventListener('keydown', (e) => { if (e.key === 'Enter') options.onEnter?.(el.value); });
  return el;
}

export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void, id?: string): HTMLElement & { checked: boolean } {
  const el = make('vscode-checkbox', { attrs: { id } }, [label]) as HTMLElement & { checked: boolean };
  el.checked = checked;
  el.addEventListener('change', () => onChange(el.checked));
  return el;
}

export function progressRing(): HTMLElement {
  return make('vscode-progress-ring', null, []);
}

export function badge(text: string, title?: string): HTMLElement {
  return make('vscode-badge', { title }, [text]);
}

export function divider(): HTMLElement {
  return make('vscode-divider', null, []);
}
