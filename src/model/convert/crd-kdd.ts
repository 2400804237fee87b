/**
 * @module Calico's Kubernetes datastore (KDD) form ↔ Tabby's model. A cluster that runs Calico
 * with `datastoreType: kubernetes` keeps its resources as custom resources under
 * `crd.projectcalico.org/v1`; `kubectl get globalnetworkpolicies.crd.projectcalico.org -o yaml`
 * prints them in that form. Calico reads them back into `projectcalico.org/v3` objects; these
 * functions do the same, paraphrasing libcalico-go's KDD backend
 * (lib/backend/k8s/resources/resources.go, ConvertK8sResourceToCalicoResource and
 * ConvertCalicoResourceToK8sResource; lib/names/policy.go, TieredPolicyName), so an object read
 * here equals the one `calicoctl get -o yaml` prints for it. Pure.
 *
 * Reading a custom resource (kddToV3):
 * - `metadata.uid` is Calico's UID transform of the custom resource's UID (convertUID); the UID
 *   is never the CR's own.
 * - Without the `projectcalico.org/metadata` annotation nothing else changes (the name stays as
 *   it is, `default.foo` included).
 * - With it, the annotation's JSON ObjectMeta becomes the metadata: its name (or, for policy
 *   kinds whose annotation has none, the CR name without a `default.` prefix when the tier is
 *   `default`), its creationTimestamp (else the CR's), labels and annotations merged over the
 *   CR's own (the annotation wins; the metadata annotation itself is dropped), owner references
 *   of `crd.projectcalico.org/v1` or `projectcalico.org/v3` translated to `projectcalico.org/v3`
 *   with their UID transformed. Namespace and resourceVersion are the CR's. Everything else the
 *   CR carried in metadata (managedFields, generation, finalizers) is replaced by the annotation's.
 * - `apiVersion` becomes `projectcalico.org/v3`; `spec` is the same struct in both forms. A
 *   `status` is kept only where the model has one (KubeControllersConfiguration); elsewhere it is
 *   runtime state (a Tier's conditions) that no policy decision reads.
 *
 * Writing one (v3ToKdd), as Calico v3.31 does: policy names in the default tier get their
 * `default.` prefix on the CR, the v3 metadata (without namespace, resourceVersion and uid; the
 * name only for policy kinds) goes into the annotation as JSON, the CR keeps only Calico's own
 * labels and annotations (keys containing `projectcalico.org/` or `operator.tigera.io/`), and its
 * UID is the transform of the v3 UID (the transform is its own inverse).
 *
 * Hostile input: only own properties are read, the metadata annotation is bounded (256 KiB, the
 * Kubernetes limit for all annotations) and every problem is a FieldError at the field it
 * concerns (`metadata.annotations[projectcalico.org/metadata].labels`).
 */
import type { Result } from '../../lib/result.js';
import { invalid, tooLong, typeInvalid, type FieldError } from '../field/errors.js';
import { FieldPath } from '../field/path.js';
import { convertUID } from './uid.js';

export const KDD_GROUP = 'crd.projectcalico.org';
export const KDD_VERSION = 'v1';
export const KDD_API_VERSION = `${KDD_GROUP}/${KDD_VERSION}`;
export const CALICO_API_VERSION = 'projectcalico.org/v3';
/** The annotation in which Calico keeps a v3 object's own metadata on its custom resource. */
export const KDD_METADATA_ANNOTATION = 'projectcalico.org/metadata';
/** Kubernetes' bound on all annotations of one object (keys + values); the metadata annotation is one of them. */
export const MAX_METADATA_ANNOTATION_BYTES = 256 * 1024;

/** Kinds whose names carry a tier (names.TieredPolicyName; determinePolicyName on read). */
const _TIERED_POLICY_KINDS: ReadonlySet<string> = new Set(['NetworkPolicy', 'GlobalNetworkPolicy', 'StagedNetworkPolicy', 'StagedGlobalNetworkPolicy']);
/** Kinds whose v3 form has a `status` (kept on read). */
const _KINDS_WITH_STATUS: ReadonlySet<string> = new Set(['KubeControllersConfiguration']);
/** Policy names that already say where they belong (names.policyNameIsFormatted). */
const _FORMATTED_PREFIXES = ['knp.default.', 'kanp.adminnetworkpolicy.', 'kbanp.baselineadminnetworkpolicy.', 'ossg.'];

type Obj = Record<string, unknown>;

const _isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const _own = (o: Obj, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
/** A shallow copy of own enumerable properties (a `__proto__` key stays a plain own key). */
const _copy = (o: Obj): Obj => Object.fromEntries(Object.entries(o));

/** True when the object says it is a `crd.projectcalico.org/v1` custom resource. */
export function isKddObject(raw: unknown): boolean {
  return _isObj(raw) && _own(raw, 'apiVersion') === KDD_API_VERSION;
}

/** Whether a kind's names carry its tier (`default.foo` on the CR for `foo` in tier default). */
export function isTieredPolicyKind(kind: string): boolean {
  return _TIERED_POLICY_KINDS.has(kind);
}

/** names.TieredPolicyName: the CR name Calico v3.31 writes for a policy's v3 name. */
export function tieredPolicyName(name: string): string {
  if (name === '' || _FORMATTED_PREFIXES.some((p) => name.startsWith(p))) return name;
  return name.includes('.') ? name : `default.${name}`;
}

/** determinePolicyName: the v3 name of a policy CR whose metadata annotation has no name. */
function _policyName(crName: string, tier: unknown): string {
  return tier === undefined || tier === null || tier === '' || tier === 'default' ? (crName.startsWith('default.') ? crName.slice('default.'.length) : crName) : crName;
}

/**
 * A `crd.projectcalico.org/v1` object → the same object in `projectcalico.org/v3` form, still raw
 * (the caller decodes, defaults and validates it as any v3 object). Objects of other API
 * versions are returned unchanged. Never throws.
 */
export function kddToV3(raw: unknown, path: FieldPath = FieldPath.root()): Result<unknown, FieldError[]> {
  if (!isKddObject(raw)) return { ok: true, value: raw };
  const src = raw as Obj;
  const out: Obj = _copy(src);
  out['apiVersion'] = CALICO_API_VERSION;
  const kind = _own(src, 'kind');
  if (typeof kind === 'string' && !_KINDS_WITH_STATUS.has(kind)) delete out['status'];
  const mp = path.child('metadata');
  const metaIn = _own(src, 'metadata');
  if (metaIn === undefined || metaIn === null) return { ok: true, value: out };
  if (!_isObj(metaIn)) return { ok: false, error: [typeInvalid(mp, metaIn, 'a map')] };
  const errs: FieldError[] = [];
  const cr = _copy(metaIn);
  const crUid = _own(cr, 'uid');
  let uid: string | undefined;
  if (typeof crUid === 'string' && crUid !== '') {
    const u = convertUID(crUid);
    if (u.ok) uid = u.value;
    else errs.push(invalid(mp.child('uid'), crUid, u.error));
  }
  const crAnn = _own(cr, 'annotations');
  const mdText = _isObj(crAnn) ? _own(crAnn, KDD_METADATA_ANNOTATION) : undefined;
  if (mdText === undefined) {
    if (errs.length > 0) return { ok: false, error: errs };
    if (uid !== undefined) cr['uid'] = uid;
    out['metadata'] = cr;
    return { ok: true, value: out };
  }
  const ap = mp.child('annotations').key(KDD_METADATA_ANNOTATION);
  const md = _parseMetadataAnnotation(mdText, ap, errs);
  if (md === undefined || errs.length > 0) return { ok: false, error: errs };

  const meta: Obj = {};
  const mdName = _own(md, 'name');
  const crName = _own(cr, 'name');
  if (typeof mdName === 'string' && mdName !== '') meta['name'] = mdName;
  else if (typeof crName === 'string') {
    const spec = _own(src, 'spec');
    meta['name'] = typeof kind === 'string' && _TIERED_POLICY_KINDS.has(kind) ? _policyName(crName, _isObj(spec) ? _own(spec, 'tier') : undefined) : crName;
  }
  for (const k of ['generateName', 'selfLink', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'finalizers', 'managedFields']) {
    const v = _own(md, k);
    if (v !== undefined && v !== null) meta[k] = v;
  }
  const ns = _own(cr, 'namespace');
  if (ns !== undefined) meta['namespace'] = ns;
  const rv = _own(cr, 'resourceVersion');
  if (rv !== undefined) meta['resourceVersion'] = rv;
  if (uid !== undefined) meta['uid'] = uid;
  const ts = _own(md, 'creationTimestamp');
  const crTs = _own(cr, 'creationTimestamp');
  if (typeof ts === 'string' && ts !== '') meta['creationTimestamp'] = ts;
  else if (crTs !== undefined && crTs !== null) meta['creationTimestamp'] = crTs;
  const labels = _merge(_own(cr, 'labels'), _own(md, 'labels'));
  if (labels !== undefined) meta['labels'] = labels;
  const restAnn = _isObj(crAnn) ? Object.fromEntries(Object.entries(crAnn).filter(([k]) => k !== KDD_METADATA_ANNOTATION)) : undefined;
  const annotations = _merge(restAnn !== undefined && Object.keys(restAnn).length > 0 ? restAnn : undefined, _own(md, 'annotations'));
  if (annotations !== undefined) meta['annotations'] = annotations;
  const refs = _own(md, 'ownerReferences');
  if (Array.isArray(refs) && refs.length > 0) {
    const translated = refs.map((r: unknown, i) => _ownerRefToV3(r, ap.child('ownerReferences').index(i), errs));
    meta['ownerReferences'] = translated;
  }
  if (errs.length > 0) return { ok: false, error: errs };
  out['metadata'] = meta;
  return { ok: true, value: out };
}

/** Go's json.Unmarshal of the annotation into an ObjectMeta: unknown fields ignored, wrong types an error. */
function _parseMetadataAnnotation(text: unknown, ap: FieldPath, errs: FieldError[]): Obj | undefined {
  if (typeof text !== 'string') {
    errs.push(typeInvalid(ap, text, 'a string'));
    return undefined;
  }
  if (text.length > MAX_METADATA_ANNOTATION_BYTES) {
    errs.push(tooLong(ap, `${text.slice(0, 40)}…`, MAX_METADATA_ANNOTATION_BYTES));
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    errs.push(invalid(ap, text.length > 80 ? `${text.slice(0, 80)}…` : text, `not JSON (${e instanceof Error ? e.message : String(e)})`));
    return undefined;
  }
  if (!_isObj(parsed)) {
    errs.push(typeInvalid(ap, parsed, 'a JSON object (ObjectMeta)'));
    return undefined;
  }
  const strings = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp'];
  for (const k of strings) {
    const v = _own(parsed, k);
    if (v !== undefined && v !== null && typeof v !== 'string') errs.push(typeInvalid(ap.child(k), v, 'a string'));
  }
  for (const k of ['generation', 'deletionGracePeriodSeconds']) {
    const v = _own(parsed, k);
    if (v !== undefined && v !== null && !Number.isInteger(v)) errs.push(typeInvalid(ap.child(k), v, 'an integer'));
  }
  for (const k of ['labels', 'annotations']) {
    const v = _own(parsed, k);
    if (v === undefined || v === null) continue;
    if (!_isObj(v)) errs.push(typeInvalid(ap.child(k), v, 'a map of strings'));
    else for (const [lk, lv] of Object.entries(v)) if (typeof lv !== 'string') errs.push(typeInvalid(ap.child(k).key(lk), lv, 'a string'));
  }
  for (const k of ['finalizers', 'ownerReferences', 'managedFields']) {
    const v = _own(parsed, k);
    if (v !== undefined && v !== null && !Array.isArray(v)) errs.push(typeInvalid(ap.child(k), v, 'a list'));
  }
  return errs.length > 0 ? undefined : parsed;
}

function _merge(base: unknown, over: unknown): Obj | undefined {
  const b = _isObj(base) ? base : undefined;
  const o = _isObj(over) ? over : undefined;
  if (b === undefined && o === undefined) return undefined;
  return Object.fromEntries([...Object.entries(b ?? {}), ...Object.entries(o ?? {})]);
}

function _ownerRefToV3(ref: unknown, p: FieldPath, errs: FieldError[]): unknown {
  if (!_isObj(ref)) return ref;
  const av = _own(ref, 'apiVersion');
  if (av !== KDD_API_VERSION && av !== CALICO_API_VERSION) return ref;
  const out = _copy(ref);
  out['apiVersion'] = CALICO_API_VERSION;
  const u = _own(ref, 'uid');
  if (typeof u === 'string') {
    const c = convertUID(u);
    if (c.ok) out['uid'] = c.value;
    else errs.push(invalid(p.child('uid'), u, c.error));
  }
  return out;
}

/** Go's ObjectMeta field order, as json.Marshal writes the annotation. */
const _META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

const _isOurs = (k: string): boolean => k.includes('projectcalico.org/') || k.includes('operator.tigera.io/');

/**
 * A `projectcalico.org/v3` object (decoded or raw) → the custom resource Calico v3.31 writes for
 * it under `crd.projectcalico.org/v1`. The input is not changed. A v3 UID that is not a UUID is
 * left off the CR (Calico would refuse to write it).
 */
export function v3ToKdd(v3: unknown): Obj {
  if (!_isObj(v3)) return {};
  const out = _copy(v3);
  out['apiVersion'] = KDD_API_VERSION;
  const kind = _own(v3, 'kind');
  const metaIn = _own(v3, 'metadata');
  const m: Obj = _isObj(metaIn) ? metaIn : {};
  const policy = typeof kind === 'string' && _TIERED_POLICY_KINDS.has(kind);
  const annotationMeta: Obj = {};
  for (const k of _META_ORDER) {
    if (k === 'namespace' || k === 'resourceVersion' || k === 'uid') continue;
    if (k === 'name' && !policy) continue;
    const v = _own(m, k);
    if (k === 'creationTimestamp') annotationMeta[k] = v === undefined || v === '' ? null : v;
    else if (v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0) && !(_isObj(v) && Object.keys(v).length === 0)) annotationMeta[k] = v;
  }
  const refs = annotationMeta['ownerReferences'];
  if (Array.isArray(refs))
    annotationMeta['ownerReferences'] = refs.map((r: unknown) => {
      if (!_isObj(r) || _own(r, 'apiVersion') !== CALICO_API_VERSION) return r;
      const c = _copy(r);
      c['apiVersion'] = KDD_API_VERSION;
      const u = _own(r, 'uid');
      if (typeof u === 'string') {
        const t = convertUID(u);
        if (t.ok) c['uid'] = t.value;
      }
      return c;
    });
  const annotations: Obj = { [KDD_METADATA_ANNOTATION]: JSON.stringify(annotationMeta) };
  const v3Ann = _own(m, 'annotations');
  if (_isObj(v3Ann)) for (const [k, v] of Object.entries(v3Ann)) if (_isOurs(k)) annotations[k] = v;
  const meta: Obj = {};
  const name = _own(m, 'name');
  if (typeof name === 'string') meta['name'] = policy ? tieredPolicyName(name) : name;
  const ns = _own(m, 'namespace');
  if (typeof ns === 'string' && ns !== '') meta['namespace'] = ns;
  const rv = _own(m, 'resourceVersion');
  if (typeof rv === 'string' && rv !== '') meta['resourceVersion'] = rv;
  const uid = _own(m, 'uid');
  if (typeof uid === 'string' && uid !== '') {
    const t = convertUID(uid);
    if (t.ok) meta['uid'] = t.value;
  }
  const v3Labels = _own(m, 'labels');
  if (_isObj(v3Labels)) {
    const ours = Object.entries(v3Labels).filter(([k]) => _isOurs(k));
    if (ours.length > 0) meta['labels'] = Object.fromEntries(ours);
  }
  meta['annotations'] = annotations;
  out['metadata'] = meta;
  return out;
}
