/**
 * @module FieldPath: an immutable path into a resource, rendered the Kubernetes way:
 * `spec.ingress[0].destination.ports[1]`, map keys as `metadata.labels[ibm.role]`.
 */
export type PathSegment =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'key'; readonly key: string };

export class FieldPath {
  // A persistent linked list: child()/index()/key() are O(1) and allocate one small object, so
  // decoding a valid document pays almost nothing for paths it never reports. The segment is
  // stored inline (kind + value) and only materialised when someone asks for `segments`.
  private _segs: readonly PathSegment[] | undefined;

  private constructor(
    private readonly _parent: FieldPath | undefined,
    /** 0 root, 1 field, 2 index, 3 key */
    private readonly _kind: 0 | 1 | 2 | 3,
    private readonly _value: string | number,
  ) {}

  private static readonly _ROOT = new FieldPath(undefined, 0, '');

  static root(name?: string): FieldPath {
    return name === undefined || name === '' ? FieldPath._ROOT : FieldPath._ROOT.child(name);
  }

  /** Parses the rendered form back (used by tests and by location lookup). */
  static parse(text: string): FieldPath {
    let p = FieldPath._ROOT;
    const re = /([^.[\]]+)|\[(\d+)\]|\[([^\]]*)\]/g;
    for (const m of text.matchAll(re)) {
      if (m[1] !== undefined) p = p.child(m[1]);
      else if (m[2] !== undefined) p = p.index(Number(m[2]));
      else if (m[3] !== undefined) p = p.key(m[3]);
    }
    return p;
  }

  get segments(): readonly PathSegment[] {
    if (this._segs === undefined) {
      if (this._kind === 0) this._segs = [];
      else {
        const seg: PathSegment =
          this._kind === 1
            ? { kind: 'field', name: this._value as string }
            : this._kind === 2
              ? { kind: 'index', index: this._value as number }
              : { kind: 'key', key: this._value as string };
        this._segs = [...(this._parent?.segments ?? []), seg];
      }
    }
    return this._segs;
  }

  child(name: string): FieldPath {
    return new FieldPath(this, 1, name);
  }
  index(i: number): FieldPath {
    return new FieldPath(this, 2, i);
  }
  key(k: string): FieldPath {
    return new FieldPath(this, 3, k);
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
