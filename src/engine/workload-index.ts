/**
 * @module Compact lookup tables for the snapshot's workloads, as ReadonlyMap views (a Map costs
 * ~37 bytes an entry; these cost 0 and 8):
 * - `SortedKeyMap`: key → item over an array already sorted by key (UTF-16 code-unit order, the
 *   order of `<` and of the default sort), by binary search; no storage of its own.
 * - `IpIndex`: canonical IP text → workload. IPv4 addresses sit in one sorted Float64Array of
 *   `address × 2^21 + workload index`, so duplicates are adjacent and the lowest index (the first
 *   workload in key order) owns the address; IPv6 addresses use a small Map. Only canonical text
 *   finds anything, as with a Map keyed by `Ip.text`.
 * Iteration order: SortedKeyMap in key order; IpIndex IPv4 by address, then IPv6.
 */
import { canonicalV4Value, ipFromText, type Ip } from './ip.js';

abstract class _MapView<V> implements ReadonlyMap<string, V> {
  abstract get(key: string): V | undefined;
  abstract entries(): MapIterator<[string, V]>;
  abstract get size(): number;
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  forEach(cb: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this);
  }
  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }
  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
}

export class SortedKeyMap<V extends { readonly key: string }> extends _MapView<V> {
  readonly #items: readonly V[];
  constructor(sortedByKey: readonly V[]) {
    super();
    this.#items = sortedByKey;
  }
  get(key: string): V | undefined {
    const items = this.#items;
    let lo = 0;
    let hi = items.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = items[mid]!;
      const k = v.key;
      if (k === key) return v;
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
  get size(): number {
    return this.#items.length;
  }
  *entries(): MapIterator<[string, V]> {
    for (const v of this.#items) yield [v.key, v];
  }
}

const _SHIFT = 2 ** 21; // workload indexes below 2M keep address × 2^21 + index exact in a double

/** Text of an IPv4 address held as a number. */
function _v4Text(v: number): string {
  return `${Math.floor(v / 16777216)}.${Math.floor(v / 65536) % 256}.${Math.floor(v / 256) % 256}.${v % 256}`;
}

/** A duplicate address: the workload that lost it, and to whom. */
export interface IpConflict<V> {
  readonly loser: V;
  readonly ip: string;
  readonly owner: V;
}

export class IpIndex<V extends { readonly index: number }> extends _MapView<V> {
  readonly #packed: Float64Array;
  readonly #items: readonly V[];
  readonly #v6: Map<string, V>;
  /** Duplicates, in the order a Map filled in workload order would have met them. */
  readonly conflicts: readonly IpConflict<V>[];

  /** `ipsOf(item)` gives canonical texts (or the Ip values) of each item's addresses, in order. */
  constructor(items: readonly V[], ipsOf: (item: V) => readonly (string | Ip)[] | string) {
    super();
    if (items.length >= _SHIFT) throw new Error('IpIndex: too many workloads');
    this.#items = items;
    let v4 = new Float64Array(items.length);
    let count = 0;
    const v6: { text: string; item: V; p: number }[] = [];
    const pos = new Map<number, number>(); // packed → position among the item's addresses, for conflicts
    const add = (item: V, t: string | Ip, p: number): void => {
      let n = typeof t === 'string' ? canonicalV4Value(t) : -1;
      if (n < 0) {
        const ip = typeof t === 'string' ? ipFromText(t) : t;
        if (ip === undefined) return;
        if (ip.family === 6) {
          v6.push({ text: ip.text, item, p });
          return;
        }
        n = ip.v4;
      }
      if (count === v4.length) {
        const bigger = new Float64Array(count * 2 + 16);
        bigger.set(v4);
        v4 = bigger;
      }
      const packed = n * _SHIFT + item.index;
      v4[count++] = packed;
      if (p > 0) pos.set(packed, p);
    };
    for (const item of items) {
      const list = ipsOf(item);
      if (typeof list === 'string') add(item, list, 0);
      else for (let p = 0; p < list.length; p++) add(item, list[p]!, p);
    }
    const packed = v4.subarray(0, count).sort();
    const conflicts: { c: IpConflict<V>; at: number }[] = [];
    let w = 0;
    for (let i = 0; i < packed.length; i++) {
      const x = packed[i]!;
      if (w > 0 && Math.floor(x / _SHIFT) === Math.floor(packed[w - 1]! / _SHIFT)) {
        const loser = items[x % _SHIFT]!;
        const owner = items[packed[w - 1]! % _SHIFT]!;
        if (loser !== owner) conflicts.push({ c: { loser, ip: _v4Text(Math.floor(x / _SHIFT)), owner }, at: loser.index * 64 + (pos.get(x) ?? 0) });
        continue;
      }
      packed[w++] = x;
    }
    this.#packed = packed.slice(0, w); // a copy: the scratch buffer may be larger
    this.#v6 = new Map();
    for (const e of v6) {
      const owner = this.#v6.get(e.text);
      if (owner === undefined) this.#v6.set(e.text, e.item);
      else if (owner !== e.item) conflicts.push({ c: { loser: e.item, ip: e.text, owner }, at: e.item.index * 64 + e.p });
    }
    this.conflicts = conflicts.sort((a, b) => a.at - b.at).map((x) => x.c);
  }

  get(text: string): V | undefined {
    const n = canonicalV4Value(text);
    if (n < 0) return this.#v6.get(text);
    const a = this.#packed;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = Math.floor(a[mid]! / _SHIFT);
      if (k === n) return this.#items[a[mid]! % _SHIFT];
      if (k < n) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
  get size(): number {
    return this.#packed.length + this.#v6.size;
  }
  *entries(): MapIterator<[string, V]> {
    for (const x of this.#packed) yield [_v4Text(Math.floor(x / _SHIFT)), this.#items[x % _SHIFT]!];
    yield* this.#v6.entries();
  }
}
