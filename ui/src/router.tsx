/** Client-side routes under /ui/ (the server answers index.html for all of them). */
import { signal } from '@preact/signals';
import type { ComponentChildren } from 'preact';

export const BASE = '/ui';
export const location = signal(window.location.pathname + window.location.search);
/** performance.now() of the last client-side navigation (0: the page load). */
export let navigatedAt = 0;

export function navigate(to: string): void {
  const full = to.startsWith(BASE) ? to : `${BASE}${to}`;
  window.history.pushState(null, '', full);
  navigatedAt = performance.now();
  location.value = full;
}

window.addEventListener('popstate', () => {
  navigatedAt = performance.now();
  location.value = window.location.pathname + window.location.search;
});

/** The route path below /ui, e.g. `/trace`, and its query. */
export function currentRoute(): { path: string; query: URLSearchParams } {
  const u = new URL(location.value, window.location.origin);
  const path = u.pathname.startsWith(BASE) ? u.pathname.slice(BASE.length) || '/' : u.pathname;
  return { path: path.replace(/\/+$/, '') || '/', query: u.searchParams };
}

export function Link(props: { to: string; children: ComponentChildren; class?: string; title?: string; testid?: string }) {
  const href = `${BASE}${props.to}`;
  return (
    <a
      href={href}
      class={props.class}
      title={props.title}
      data-testid={props.testid}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}
