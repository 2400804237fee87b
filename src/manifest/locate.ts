/**
 * @module Maps a field path (`spec.ingress[0].destination.ports[1]`) back to the YAML node it
 * names, for `file:line:col` messages. Unknown fields point at their key, value errors at the
 * value, and a path that does not exist in the file at its nearest existing ancestor.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';

export type PathKeys = readonly (string | number)[];

export interface Found {
  /** The node at the path, or at its nearest existing ancestor; null for `key:` with no value. */
  readonly node: Node | null;
  /** The pair whose value is `node`, when the last step taken was a map key. */
  readonly pair: Pair<unknown, unknown> | undefined;
  /** The map holding `pair`. */
  readonly parent: YAMLMap<unknown, unknown> | undefined;
  /** Whether every key of the path was found. */
  readonly complete: boolean;
}

export function keyName(k: unknown): string {
  if (isScalar(k)) return String(k.value ?? '');
  return String(k);
}

function _asNode(v: unknown): Node | null {
  return v !== null && typeof v === 'object' && 'range' in v ? (v as Node) : null;
}

export function findPath(doc: Document.Parsed, keys: PathKeys): Found {
  let node: Node | null = _asNode(doc.contents);
  let pair: Pair<unknown, unknown> | undefined;
  let parent: YAMLMap<unknown, unknown> | undefined;
  for (const k of keys) {
    if (isAlias(node)) node = _asNode(node.resolve(doc) ?? null);
    if (isMap(node)) {
      const p = node.items.find((it) => keyName(it.key) === String(k));
      if (p === undefined) return { node, pair, parent, complete: false };
      parent = node;
      pair = p;
      node = _asNode(p.value);
      continue;
    }
    if (isSeq(node) && typeof k === 'number') {
      const item = node.items[k];
      if (item === undefined) return { node, pair, parent, complete: false };
      pair = undefined;
      parent = undefined;
      node = _asNode(item);
      continue;
    }
    return { node, pair, parent, complete: false };
  }
  return { node, pair, parent, complete: true };
}

/** Start offset of a node or pair key, if it has a range. */
export function startOf(n: unknown): number | undefined {
  const node = _asNode(n);
  return node?.range?.[0];
}

/** The offset an error at this path should point at. */
export function offsetFor(doc: Document.Parsed, keys: PathKeys, atKey: boolean): number {
  const f = findPath(doc, keys);
  const fallback = startOf(doc.contents) ?? doc.range[0];
  if (f.complete) {
    if (atKey && f.pair) return startOf(f.pair.key) ?? fallback;
    const v = startOf(f.node);
    if (v !== undefined && !(f.pair && f.node === null)) return v;
    if (f.pair) return startOf(f.pair.key) ?? fallback;
    return fallback;
  }
  if (f.pair) return startOf(f.pair.key) ?? fallback;
  return startOf(f.node) ?? fallback;
}

/**
 * Keys of every map that encloses `offset`, from the document root down to the deepest one.
 */
export function mapChainAt(doc: Document.Parsed, offset: number): (string | number)[][] {
  const chain: (string | number)[][] = [];
  let node: Node | null = _asNode(doc.contents);
  let keys: (string | number)[] = [];
  const inside = (n: unknown): boolean => {
    const r = _asNode(n)?.range;
    return r !== undefined && r !== null && r[0] <= offset && offset < Math.max(r[2], r[1]);
  };
  for (let depth = 0; depth < 1000 && node !== null; depth++) {
    if (isMap(node)) {
      chain.push(keys);
      const p = node.items.find((it) => inside(it.value));
      if (p === undefined) break;
      keys = [...keys, keyName(p.key)];
      node = _asNode(p.value);
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => inside(it));
      if (i < 0) break;
      keys = [...keys, i];
      node = _asNode(node.items[i]);
    } else break;
  }
  return chain;
}
