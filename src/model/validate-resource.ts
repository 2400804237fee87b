/**
 * @module The door every resource passes: decode (strict) → default → validate, collecting
 * every error with its field path. `kind: List` documents are opened item by item.
 */
import { FieldPath } from './field/path.js';
import { invalid, notSupported, required, typeInvalid, type FieldError } from './field/errors.js';
import { isPlainObject, runDecoder } from './decode/decoder.js';
import { apiVersionOf, type KindInfo } from './kind-info.js';
import { ALL_KINDS, fragmentFor, kindFor, kindsNamed, ALL_FRAGMENTS } from './kinds.js';
import { isDNS1123Label as isDNS1123LabelChecker, isDNS1123Subdomain, validateAnnotations, validateLabels, validateName } from './validate/names.js';
import type { Resource } from './meta.js';
import type { Result } from '../lib/result.js';

export interface DecodedResource {
  readonly info: KindInfo;
  /** The resource after defaulting. */
  readonly resource: Resource;
}

/**
 * Finds the KindInfo for a raw object from its apiVersion and kind, or explains why not.
 * `extraKinds` are looked up first (the API server's CRD mode serves kinds outside the registry).
 */
export function lookupKind(raw: unknown, path: FieldPath, extraKinds: readonly KindInfo[] = []): Result<KindInfo, FieldError[]> {
  if (!isPlainObject(raw)) return { ok: false, error: [typeInvalid(path, raw, 'a map (a resource object)')] };
  const errs: FieldError[] = [];
  const apiVersion = raw['apiVersion'];
  const kind = raw['kind'];
  if (apiVersion === undefined || apiVersion === null || apiVersion === '')
    errs.push(required(path.child('apiVersion'), 'apiVersion must be set'));
  else if (typeof apiVersion !== 'string') errs.push(typeInvalid(path.child('apiVersion'), apiVersion, 'a string'));
  if (kind === undefined || kind === null || kind === '') errs.push(required(path.child('kind'), 'kind must be set'));
  else if (typeof kind !== 'string') errs.push(typeInvalid(path.child('kind'), kind, 'a string'));
  if (errs.length > 0) return { ok: false, error: errs };
  const extra = extraKinds.length > 0 ? extraKinds.find((k) => k.kind === kind && apiVersionOf(k) === apiVersion) : undefined;
  const info = extra ?? kindFor(apiVersion as string, kind as string);
  if (info) return { ok: true, value: info };
  const sameName = kindsNamed(kind as string);
  if (sameName.length > 0)
    return {
      ok: false,
      error: [
        notSupported(
          path.child('apiVersion'),
          apiVersion,
          sameName.map((k) => apiVersionOf(k)),
        ),
      ],
    };
  const ci = ALL_KINDS.filter((k) => k.kind.toLowerCase() === (kind as string).toLowerCase());
  if (ci.length > 0)
    return { ok: false, error: [invalid(path.child('kind'), kind, `kind names are case-sensitive; did you mean "${ci[0]!.kind}"?`)] };
  const kindsHere = [...new Set(ALL_KINDS.filter((k) => apiVersionOf(k) === apiVersion).map((k) => k.kind))];
  return {
    ok: false,
    error: [
      kindsHere.length > 0
        ? notSupported(path.child('kind'), kind, [...kindsHere, 'List'])
        : invalid(path.child('apiVersion'), apiVersion, 'unknown API group/version'),
    ],
  };
}

function pushAll(errs: FieldError[], more: readonly FieldError[]): void {
  for (let i = 0; i < more.length; i++) errs.push(more[i]!);
}

function metadataErrors(info: KindInfo, res: Resource, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const mp = path.child('metadata');
  const meta = res.metadata ?? {};
  if ((meta.name ?? '') === '' && (meta.generateName ?? '') === '') {
    if (!info.nameOptional) errs.push(required(mp.child('name'), 'name or generateName is required'));
  } else if (meta.name !== undefined && meta.name !== '') {
    // Same as validateName: each problem reported at metadata.name (the path built only if any).
    const problems = (info.validateName ?? isDNS1123Subdomain)(meta.name);
    if (problems.length > 0) {
      const np = mp.child('name');
      for (const m of problems) errs.push(invalid(np, meta.name, m));
    }
  }
  if (!info.namespaced && meta.namespace !== undefined && meta.namespace !== '')
    errs.push(invalid(mp.child('namespace'), meta.namespace, `namespace is not allowed on cluster-scoped kind ${info.kind}`));
  if (info.namespaced && meta.namespace !== undefined && meta.namespace !== '')
    errs.push(...validateName(meta.namespace, mp.child('namespace'), isDNS1123LabelChecker));
  if (meta.labels !== undefined) pushAll(errs, validateLabels(meta.labels, mp.child('labels')));
  if (meta.annotations !== undefined) pushAll(errs, validateAnnotations(meta.annotations, mp.child('annotations')));
  return errs;
}


/**
 * Decodes, defaults and validates one resource object (not a List).
 * On success the value is the defaulted resource with its KindInfo.
 */
export function decodeResource(raw: unknown, path: FieldPath = FieldPath.root(), extraKinds: readonly KindInfo[] = []): Result<DecodedResource, FieldError[]> {
  const k = lookupKind(raw, path, extraKinds);
  if (!k.ok) return k;
  const info = k.value;
  const d = runDecoder(info.decode, raw, path);
  if (d.value === undefined) return { ok: false, error: d.errors };
  const resource = info.applyDefaults(d.value);
  const errs = metadataErrors(info, resource, path);
  pushAll(errs, info.validate(resource, path));
  if (errs.length > 0) return { ok: false, error: errs };
  return { ok: true, value: { info, resource } };
}

/**
 * Public API: every problem with a resource (any kind Tabby knows, or a `kind: List` of them);
 * empty when valid.
 */
export function validateResource(obj: unknown): FieldError[] {
  if (isPlainObject(obj) && obj['kind'] === 'List' && (obj['apiVersion'] === 'v1' || obj['apiVersion'] === undefined)) {
    const items = obj['items'];
    const p = FieldPath.root('items');
    if (items === undefined || items === null) return [];
    if (!Array.isArray(items)) return [typeInvalid(p, items, 'a list')];
    return items.flatMap((it, i) => validateResource1(it, p.index(i)));
  }
  return validateResource1(obj, FieldPath.root());
}

function validateResource1(obj: unknown, path: FieldPath): FieldError[] {
  const r = decodeResource(obj, path);
  return r.ok ? [] : r.error;
}

/** Public API: validates one Calico API struct by its Go name (`Rule`, `EntityRule`, ...). */
export function validateFragment(structName: string, value: unknown): FieldError[] {
  const f = fragmentFor(structName);
  const root = FieldPath.root();
  if (!f) return [notSupported(root, structName, ALL_FRAGMENTS.map((x) => x.name))];
  const d = runDecoder(f.decode, value, root);
  if (d.value === undefined) return d.errors;
  return f.validate(d.value, root);
}
