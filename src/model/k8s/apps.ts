/**
 * @module apps/v1 Deployment and ReplicaSet: types, strict decoders (open inside the pod
 * template, as Pods are), defaulting (pkg/apis/apps/v1 defaults.go) and validation
 * (pkg/apis/apps/validation) for the fields the workload controllers use. Pure.
 *
 * Kept from kube-apiserver: the selector is required, non-empty and must match the template's
 * labels; replicas ≥ 0; the template needs at least one container, each with a DNS-1123 name
 * and an image; a controller's pods restart `Always`; the strategy is `RollingUpdate` (default,
 * 25 %/25 %) or `Recreate`. Not modelled: volumes, probes, resources and the other pod fields,
 * which are stored as given.
 */
import type { FieldPath } from '../field/path.js';
import { duplicate, forbidden, invalid, notSupported, required, type FieldError } from '../field/errors.js';
import { bool, int, intOrStr, obj, record, str, type Decoder } from '../decode/index.js';
import { isDNS1123Label, validateLabels, validateAnnotations } from '../validate/names.js';
import type { ObjectMeta } from '../meta.js';
import { labelSelectorDecoder, podSpecDecoder, typedResource } from './decode.js';
import { validateLabelSelector } from './validate-network-policy.js';
import type { LabelSelector, PodSpec } from './types.js';

// ---------------------------------------------------------------- types

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: PodSpec;
}

export interface RollingUpdateDeployment {
  maxUnavailable?: number | string;
  maxSurge?: number | string;
}

export interface DeploymentStrategy {
  type?: 'RollingUpdate' | 'Recreate' | string;
  rollingUpdate?: RollingUpdateDeployment;
}

export interface WorkloadCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: WorkloadCondition[];
  collisionCount?: number;
}

export interface Deployment {
  apiVersion: string;
  kind: 'Deployment';
  metadata?: ObjectMeta;
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}

export interface ReplicaSetSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  minReadySeconds?: number;
}

export interface ReplicaSetStatus {
  observedGeneration?: number;
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  conditions?: WorkloadCondition[];
}

export interface ReplicaSet {
  apiVersion: string;
  kind: 'ReplicaSet';
  metadata?: ObjectMeta;
  spec?: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

// ---------------------------------------------------------------- decoders

export const podTemplateSpecDecoder: Decoder<PodTemplateSpec> = obj({
  metadata: obj({ labels: record(str), annotations: record(str) }, { open: true }),
  spec: podSpecDecoder,
});

const conditionDecoder: Decoder<WorkloadCondition> = obj(
  { type: str, status: str, reason: str, message: str, lastUpdateTime: str, lastTransitionTime: str },
  { open: true },
);

const conditionsDecoder = (d: Decoder<WorkloadCondition>): Decoder<WorkloadCondition[]> => {
  const list: Decoder<WorkloadCondition[]> = (raw, path, errs) => {
    if (!Array.isArray(raw)) {
      errs.push(invalid(path, raw, 'must be a list'));
      return undefined;
    }
    const out: WorkloadCondition[] = [];
    raw.forEach((c, i) => {
      const v = d(c, path.index(i), errs);
      if (v !== undefined) out.push(v);
    });
    return out;
  };
  return list;
};

export const deploymentDecoder: Decoder<Deployment> = typedResource('Deployment', {
  spec: obj({
    replicas: int,
    selector: labelSelectorDecoder,
    template: podTemplateSpecDecoder,
    strategy: obj({ type: str, rollingUpdate: obj({ maxUnavailable: intOrStr, maxSurge: intOrStr }) }),
    minReadySeconds: int,
    revisionHistoryLimit: int,
    paused: bool,
    progressDeadlineSeconds: int,
  }),
  status: obj(
    {
      observedGeneration: int,
      replicas: int,
      updatedReplicas: int,
      readyReplicas: int,
      availableReplicas: int,
      unavailableReplicas: int,
      terminatingReplicas: int,
      collisionCount: int,
      conditions: conditionsDecoder(conditionDecoder),
    },
    { open: true },
  ),
});

export const replicaSetDecoder: Decoder<ReplicaSet> = typedResource('ReplicaSet', {
  spec: obj({ replicas: int, selector: labelSelectorDecoder, template: podTemplateSpecDecoder, minReadySeconds: int }),
  status: obj(
    {
      observedGeneration: int,
      replicas: int,
      fullyLabeledReplicas: int,
      readyReplicas: int,
      availableReplicas: int,
      terminatingReplicas: int,
      conditions: conditionsDecoder(conditionDecoder),
    },
    { open: true },
  ),
});

// ---------------------------------------------------------------- defaults

function _defaultTemplate(t: PodTemplateSpec | undefined): PodTemplateSpec | undefined {
  if (t?.spec === undefined) return t;
  const spec: PodSpec & Record<string, unknown> = { ...t.spec };
  if (spec.restartPolicy === undefined || spec.restartPolicy === '') spec.restartPolicy = 'Always';
  if (spec['dnsPolicy'] === undefined) spec['dnsPolicy'] = 'ClusterFirst';
  if (spec['schedulerName'] === undefined) spec['schedulerName'] = 'default-scheduler';
  if (spec['terminationGracePeriodSeconds'] === undefined) spec['terminationGracePeriodSeconds'] = 30;
  if (spec.containers)
    spec.containers = spec.containers.map((c) => {
      const out: Record<string, unknown> = { ...c };
      if (out['terminationMessagePath'] === undefined) out['terminationMessagePath'] = '/dev/termination-log';
      if (out['terminationMessagePolicy'] === undefined) out['terminationMessagePolicy'] = 'File';
      if (out['imagePullPolicy'] === undefined) out['imagePullPolicy'] = /:latest$|^[^:]*$/.test(c.image ?? '') ? 'Always' : 'IfNotPresent';
      if (c.ports) out['ports'] = c.ports.map((p) => (p.protocol === undefined || p.protocol === '' ? { ...p, protocol: 'TCP' } : p));
      return out as typeof c;
    });
  return { ...t, spec };
}

/** SetDefaults_Deployment: replicas 1, RollingUpdate 25 %/25 %, history 10, deadline 600 s. */
export function defaultDeployment(d: Deployment): Deployment {
  const spec = d.spec ?? {};
  const strategy: DeploymentStrategy = { ...(spec.strategy ?? {}) };
  if (strategy.type === undefined || strategy.type === '') strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate')
    strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%', ...(strategy.rollingUpdate ?? {}) };
  const template = _defaultTemplate(spec.template);
  return {
    ...d,
    spec: {
      ...spec,
      replicas: spec.replicas ?? 1,
      strategy,
      revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 600,
      ...(template === undefined ? {} : { template }),
    },
  };
}

/** SetDefaults_ReplicaSet: replicas 1. */
export function defaultReplicaSet(r: ReplicaSet): ReplicaSet {
  const spec = r.spec ?? {};
  const template = _defaultTemplate(spec.template);
  return { ...r, spec: { ...spec, replicas: spec.replicas ?? 1, ...(template === undefined ? {} : { template }) } };
}

// ---------------------------------------------------------------- validation

const _nonNegative = (v: number | undefined, path: FieldPath): FieldError[] =>
  v !== undefined && v < 0 ? [invalid(path, v, 'must be greater than or equal to 0')] : [];

/** Whether `labels` satisfy the selector (matchLabels and matchExpressions). */
export function selectorMatches(sel: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (sel === undefined) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key !== undefined && Object.prototype.hasOwnProperty.call(labels, e.key);
    const val = has ? labels[e.key!] : undefined;
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(val!)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(val!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

const _selectorEmpty = (s: LabelSelector): boolean =>
  Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;

/** The pod template of a controller (ValidatePodTemplateSpecForReplicaSet). */
export function validatePodTemplate(t: PodTemplateSpec | undefined, selector: LabelSelector | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (t === undefined) return [required(path)];
  const labels = t.metadata?.labels ?? {};
  const mp = path.child('metadata');
  errs.push(...validateLabels(t.metadata?.labels, mp.child('labels')));
  errs.push(...validateAnnotations(t.metadata?.annotations, mp.child('annotations')));
  if (selector !== undefined && !_selectorEmpty(selector) && !selectorMatches(selector, labels))
    errs.push(invalid(mp.child('labels'), labels, '`selector` does not match template `labels`'));
  const sp = path.child('spec');
  const containers = t.spec?.containers ?? [];
  if (containers.length === 0) errs.push(required(sp.child('containers')));
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const cp = sp.child('containers').index(i);
    if (c.name === undefined || c.name === '') errs.push(required(cp.child('name')));
    else {
      for (const m of isDNS1123Label(c.name)) errs.push(invalid(cp.child('name'), c.name, m));
      if (names.has(c.name)) errs.push(duplicate(cp.child('name'), c.name));
      names.add(c.name);
    }
    if (c.image === undefined || c.image.trim() === '') errs.push(required(cp.child('image')));
  });
  const rp = t.spec?.restartPolicy;
  if (rp !== undefined && rp !== 'Always') errs.push(notSupported(sp.child('restartPolicy'), rp, ['Always']));
  if ((t.spec as Record<string, unknown> | undefined)?.["activeDeadlineSeconds"] !== undefined)
    errs.push(forbidden(sp.child('activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  return errs;
}

function _validateSelector(sel: LabelSelector | undefined, path: FieldPath, kind: string): FieldError[] {
  if (sel === undefined) return [required(path)];
  const errs = validateLabelSelector(sel, path);
  if (_selectorEmpty(sel)) errs.push(invalid(path, sel, `empty selector is invalid for ${kind}`));
  return errs;
}

const STRATEGY_TYPES = ['Recreate', 'RollingUpdate'] as const;

function _intOrPercent(v: number | string | undefined, path: FieldPath): FieldError[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return _nonNegative(v, path);
  const m = /^(\d+)%$/.exec(v);
  if (!m) return [invalid(path, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  return Number(m[1]) > 100 ? [invalid(path, v, 'must not be greater than 100%')] : [];
}

const _isZero = (v: number | string | undefined): boolean => v === 0 || v === '0%';

export function validateDeployment(d: Deployment, path: FieldPath): FieldError[] {
  const sp = path.child('spec');
  const spec = d.spec ?? {};
  const errs: FieldError[] = [];
  errs.push(..._nonNegative(spec.replicas, sp.child('replicas')));
  errs.push(..._validateSelector(spec.selector, sp.child('selector'), 'deployment'));
  errs.push(...validatePodTemplate(spec.template, spec.selector, sp.child('template')));
  const st = spec.strategy;
  if (st !== undefined) {
    const stp = sp.child('strategy');
    if (st.type !== undefined && !(STRATEGY_TYPES as readonly string[]).includes(st.type)) errs.push(notSupported(stp.child('type'), st.type, STRATEGY_TYPES));
    if (st.type === 'Recreate' && st.rollingUpdate !== undefined)
      errs.push(forbidden(stp.child('rollingUpdate'), 'may not be specified when strategy `type` is \'Recreate\''));
    const ru = st.rollingUpdate;
    if (ru !== undefined) {
      const rp = stp.child('rollingUpdate');
      errs.push(..._intOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')), ..._intOrPercent(ru.maxSurge, rp.child('maxSurge')));
      if (_isZero(ru.maxUnavailable) && _isZero(ru.maxSurge))
        errs.push(invalid(rp.child('maxUnavailable'), ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  errs.push(..._nonNegative(spec.minReadySeconds, sp.child('minReadySeconds')));
  errs.push(..._nonNegative(spec.revisionHistoryLimit, sp.child('revisionHistoryLimit')));
  if (spec.progressDeadlineSeconds !== undefined) {
    errs.push(..._nonNegative(spec.progressDeadlineSeconds, sp.child('progressDeadlineSeconds')));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0))
      errs.push(invalid(sp.child('progressDeadlineSeconds'), spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export function validateReplicaSet(r: ReplicaSet, path: FieldPath): FieldError[] {
  const sp = path.child('spec');
  const spec = r.spec ?? {};
  return [
    ..._nonNegative(spec.replicas, sp.child('replicas')),
    ..._validateSelector(spec.selector, sp.child('selector'), 'replicaset'),
    ...validatePodTemplate(spec.template, spec.selector, sp.child('template')),
    ..._nonNegative(spec.minReadySeconds, sp.child('minReadySeconds')),
  ];
}

// ---------------------------------------------------------------- DaemonSet

export interface DaemonSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete' | string;
  rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
}

export interface DaemonSetSpec {
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  updateStrategy?: DaemonSetUpdateStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export interface DaemonSet {
  apiVersion: string;
  kind: 'DaemonSet';
  metadata?: ObjectMeta;
  spec?: DaemonSetSpec;
  status?: Record<string, unknown>;
}

export const daemonSetDecoder: Decoder<DaemonSet> = typedResource('DaemonSet', {
  spec: obj({
    selector: labelSelectorDecoder,
    template: podTemplateSpecDecoder,
    updateStrategy: obj({ type: str, rollingUpdate: obj({ maxUnavailable: intOrStr, maxSurge: intOrStr }) }),
    minReadySeconds: int,
    revisionHistoryLimit: int,
  }),
  status: obj({}, { open: true }),
});

/** SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, history 10. */
export function defaultDaemonSet(d: DaemonSet): DaemonSet {
  const spec = d.spec ?? {};
  const strategy: DaemonSetUpdateStrategy = { ...(spec.updateStrategy ?? {}) };
  if (strategy.type === undefined || strategy.type === '') strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') strategy.rollingUpdate = { maxUnavailable: 1, maxSurge: 0, ...(strategy.rollingUpdate ?? {}) };
  const template = _defaultTemplate(spec.template);
  return { ...d, spec: { ...spec, updateStrategy: strategy, revisionHistoryLimit: spec.revisionHistoryLimit ?? 10, ...(template === undefined ? {} : { template }) } };
}

const DAEMONSET_STRATEGIES = ['OnDelete', 'RollingUpdate'] as const;

/** ValidateDaemonSet (pkg/apis/apps/validation) for the fields above. */
export function validateDaemonSet(d: DaemonSet, path: FieldPath): FieldError[] {
  const sp = path.child('spec');
  const spec = d.spec ?? {};
  const errs: FieldError[] = [
    ..._validateSelector(spec.selector, sp.child('selector'), 'daemonset'),
    ...validatePodTemplate(spec.template, spec.selector, sp.child('template')),
    ..._nonNegative(spec.minReadySeconds, sp.child('minReadySeconds')),
    ..._nonNegative(spec.revisionHistoryLimit, sp.child('revisionHistoryLimit')),
  ];
  const st = spec.updateStrategy;
  if (st !== undefined) {
    const stp = sp.child('updateStrategy');
    if (st.type !== undefined && !(DAEMONSET_STRATEGIES as readonly string[]).includes(st.type)) errs.push(notSupported(stp.child('type'), st.type, DAEMONSET_STRATEGIES));
    if (st.type === 'OnDelete' && st.rollingUpdate !== undefined) errs.push(forbidden(stp.child('rollingUpdate'), "may not be specified when strategy `type` is 'OnDelete'"));
    const ru = st.rollingUpdate;
    if (ru !== undefined) {
      const rp = stp.child('rollingUpdate');
      errs.push(..._intOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')), ..._intOrPercent(ru.maxSurge, rp.child('maxSurge')));
      if (_isZero(ru.maxUnavailable ?? 0) && _isZero(ru.maxSurge ?? 0))
        errs.push(invalid(rp.child('maxUnavailable'), ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  return errs;
}
