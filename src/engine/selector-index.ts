/**
 * @module SelectorIndex: label restrictions → candidate selectors (Felix's label-restriction
 * index). Each selector is filed under one restriction (selector/restrictions.ts `indexKey`):
 * under `label=value` for each allowed value, under `label` when it only requires the label, or
 * in the unrestricted list. A label set's candidates are the entries under its own `label=value`
 * pairs and labels plus the unrestricted list, so a selector that can match it is always a
 * candidate (restrictions are necessary conditions) and each candidate is reported once (a
 * label set has one value per label). Selectors that can never match are not filed at all.
 */
import { indexKey, labelRestrictions, type SelectorNode } from '../selector/index.js';

export type Labels = Readonly<Record<string, string>>;

export class SelectorIndex<T> {
  readonly #byValue = new Map<string, Map<string, Set<T>>>();
  readonly #byLabel = new Map<string, Set<T>>();
  readonly #unrestricted = new Set<T>();
  /** Where each item is filed: a bucket list, for removal. */
  readonly #filed = new Map<T, Set<T>[]>();

  /** Files `item` under the restrictions of `ast` (replacing an earlier filing). */
  add(item: T, ast: SelectorNode): void {
    this.delete(item);
    const r = labelRestrictions(ast);
    const buckets: Set<T>[] = [];
    if (!r.never) {
      const k = indexKey(r);
      if (k === undefined) buckets.push(this.#unrestricted);
      else if (k.values === null) {
        let b = this.#byLabel.get(k.label);
        if (b === undefined) this.#byLabel.set(k.label, (b = new Set()));
        buckets.push(b);
      } else {
        let byV = this.#byValue.get(k.label);
        if (byV === undefined) this.#byValue.set(k.label, (byV = new Map()));
        for (const v of k.values) {
          let b = byV.get(v);
          if (b === undefined) byV.set(v, (b = new Set()));
          buckets.push(b);
        }
      }
    }
    for (const b of buckets) b.add(item);
    this.#filed.set(item, buckets);
  }

  delete(item: T): void {
    const buckets = this.#filed.get(item);
    if (buckets === undefined) return;
    for (const b of buckets) b.delete(item);
    this.#filed.delete(item);
  }

  /** Calls `fn` once for every item that may match `labels` (a superset of the matches). */
  forCandidates(labels: Labels, fn: (item: T) => void): void {
    for (const item of this.#unrestricted) fn(item);
    const byValue = this.#byValue;
    const byLabel = this.#byLabel;
    for (const k in labels) {
      const v: unknown = labels[k];
      if (typeof v !== 'string') continue;
      const bl = byLabel.get(k);
      if (bl !== undefined) for (const item of bl) fn(item);
      const bv = byValue.get(k)?.get(v);
      if (bv !== undefined) for (const item of bv) fn(item);
    }
  }
}
