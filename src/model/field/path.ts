/**
 * @module FieldPath: an immutable path into a resource, rendered the Kubernetes way:
 * `spec.ingress[0].destination.ports[1]`, map keys as `metadata.labels[ibm.role]`.
 */
export type PathSegment =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'key'; readonly key: string };

export class FieldPath {
  private constructor(readonly segments: readonly PathSegment[]) {}

  static root(name?: string): FieldPath {
    return new FieldPath(name === undefined || name === '' ? [] : [{ kind: 'field', name }]);
  }

  /** Parses the rendered form back (used by tests and by location lookup). */
  static parse(text: string): FieldPath {
    const segs: PathSegment[] = [];
    const re = /([^.[\]]+)|\[(\d+)\]|\[([^\]]*)\]/g;
    for (const m of text.matchAll(re)) {
      if (m[1] !== undefined) segs.push({ kind: 'field', name: m[1] });
      else if (m[2] !== undefined) segs.push({ kind: 'index', index: Number(m[2]) });
      else if (m[3] !== undefined) segs.push({ kind: 'key', key: m[3] });
    }
    return new FieldPath(segs);
  }

  child(name: string): FieldPath {
    return new FieldPath([...this.segments, { kind: 'field', name }]);
  }
  index(i: number): FieldPath {
    return new FieldPath([...this.segments, { kind: 'index', index: i }]);
  }
  key(k: string): FieldPath {
    return new FieldPath([...this.segments, { kind: 'key', key: k }]);
  }

  /** Plain keys to walk a decoded JSON/YAML tree: field names and map keys as strings, indexes as numbers. */
  keys(): (string | number)[] {
    return this.segments.map((s) => (s.kind === 'field' ? s.name : s.kind === 'key' ? s.key : s.index));
  }

  toString(): string {
    let out = '';
    for (const s of this.segments) {
      if (s.kind === 'field') out += out === '' ? s.name : `.${s.name}`;
      else if (s.kind === 'index') out += `[${s.index}]`;
      else out += `[${s.key}]`;
    }
    return out;
  }
}
