/**
 * @module LabelIndex: selector → matching endpoints (and endpoint → matching selectors), kept up
 * to date one change at a time (Felix's calc-graph label index, with its label-restriction
 * optimisation). An endpoint change tests only the candidate selectors the SelectorIndex names
 * for its labels (plus drops the matches it had), so its cost does not grow with the number of
 * endpoints; a selector change re-tests that selector against every endpoint. The state depends
 * only on the current endpoints and selectors, never on the order of updates (the property tests
 * check it, and that it equals brute force).
 *
 * Listeners hear each (selector, endpoint) pair start and stop matching, exactly once per change.
 */
import { parseSelector, type Selector } from '../selector/index.js';
import { SelectorIndex } from './selector-index.js';

export type Labels = Readonly<Record<string, string>>;

export interface MatchListener {
  onMatchStarted?(selectorId: string, endpointId: string): void;
  onMatchStopped?(selectorId: string, endpointId: string): void;
}

const _empty: ReadonlySet<string> = new Set();

export class LabelIndex {
  readonly #endpoints = new Map<string, Labels>();
  readonly #selectors = new Map<string, Selector>();
  readonly #candidates = new SelectorIndex<string>();
  readonly #bySelector = new Map<string, Set<string>>();
  readonly #byEndpoint = new Map<string, Set<string>>();
  readonly #listener: MatchListener;

  constructor(listener: MatchListener = {}) {
    this.#listener = listener;
  }

  #add(sel: string, ep: string): void {
    let s = this.#bySelector.get(sel);
    if (!s) this.#bySelector.set(sel, (s = new Set()));
    if (s.has(ep)) return;
    s.add(ep);
    let e = this.#byEndpoint.get(ep);
    if (!e) this.#byEndpoint.set(ep, (e = new Set()));
    e.add(sel);
    this.#listener.onMatchStarted?.(sel, ep);
  }

  #remove(sel: string, ep: string): void {
    const s = this.#bySelector.get(sel);
    if (!s || !s.delete(ep)) return;
    if (s.size === 0) this.#bySelector.delete(sel);
    const e = this.#byEndpoint.get(ep);
    if (e) {
      e.delete(sel);
      if (e.size === 0) this.#byEndpoint.delete(ep);
    }
    this.#listener.onMatchStopped?.(sel, ep);
  }

  /** Sets (or with `undefined`, deletes) an endpoint's labels. */
  updateEndpoint(id: string, labels: Labels | undefined): void {
    const before = this.#byEndpoint.get(id);
    if (labels === undefined) {
      this.#endpoints.delete(id);
      if (before !== undefined) for (const sel of [...before]) this.#remove(sel, id);
      return;
    }
    this.#endpoints.set(id, labels);
    const now: string[] = [];
    const selectors = this.#selectors;
    this.#candidates.forCandidates(labels, (sid) => {
      if (selectors.get(sid)!.matches(labels)) now.push(sid);
    });
    if (before !== undefined && before.size > 0) {
      const keep = new Set(now);
      for (const sel of [...before]) if (!keep.has(sel)) this.#remove(sel, id);
    }
    for (const sid of now) this.#add(sid, id);
  }

  /** Sets (or with `undefined`, deletes) a selector; text is parsed (throws on a syntax error). */
  updateSelector(id: string, selector: string | Selector | undefined): void {
    if (selector === undefined) {
      this.#selectors.delete(id);
      this.#candidates.delete(id);
      for (const ep of [...(this.#bySelector.get(id) ?? [])]) this.#remove(id, ep);
      return;
    }
    const sel = typeof selector === 'string' ? parseSelector(selector) : selector;
    this.#selectors.set(id, sel);
    this.#candidates.add(id, sel.ast);
    for (const [eid, labels] of this.#endpoints) {
      if (sel.matches(labels)) this.#add(id, eid);
      else this.#remove(id, eid);
    }
  }

  /** Endpoints the selector currently matches. */
  endpointsMatching(selectorId: string): ReadonlySet<string> {
    return this.#bySelector.get(selectorId) ?? _empty;
  }

  /** Selectors that currently match the endpoint. */
  selectorsMatching(endpointId: string): ReadonlySet<string> {
    return this.#byEndpoint.get(endpointId) ?? _empty;
  }

  /** Every (selector, endpoint) match, sorted: a canonical view for comparisons. */
  snapshot(): [string, string[]][] {
    return [...this.#bySelector.entries()]
      .map(([s, eps]): [string, string[]] => [s, [...eps].sort()])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
