/**
 * @module Kubernetes validation (pkg/apis/core/validation) for the core/v1 fields Tabby uses:
 * pod container ports and addresses, service ports/types/addresses, node CIDRs and addresses.
 * Fields Tabby does not model are not checked. Pods are treated as observed state, so a pod
 * without containers is accepted (the API server would require one).
 */
import type { FieldPath } from '../field/path.js';
import { duplicate, forbidden, invalid, notSupported, required, type FieldError } from '../field/errors.js';
import { isDNS1123Label, isDNS1123Subdomain, validateLabels } from '../validate/names.js';
import { parseCidr, parseIp } from '../../lib/net.js';
import { SUPPORTED_PROTOCOLS, isValidPortName, isValidPortNum } from './validate-network-policy.js';
import type { Node, Pod, Service } from './types.js';

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
export const EXTERNAL_TRAFFIC_POLICIES = ['Cluster', 'Local'] as const;
export const NODE_ADDRESS_TYPES = ['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'] as const;
/** kube-apiserver's default --service-node-port-range. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

const IP_HINT = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** NameIsDNS1035Label: Service names. */
export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1035_LABEL.test(v))
    errs.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  return errs;
}

function _protocol(p: string | undefined, path: FieldPath): FieldError[] {
  if (p === undefined || p === '') return [required(path)];
  return (SUPPORTED_PROTOCOLS as readonly string[]).includes(p) ? [] : [notSupported(path, p, SUPPORTED_PROTOCOLS)];
}

function _ip(v: string | undefined, path: FieldPath): FieldError[] {
  if (v === undefined || v === '') return [];
  return parseIp(v) ? [] : [invalid(path, v, IP_HINT)];
}

export function validatePod(pod: Pod, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const sp = path.child('spec');
  const names = new Set<string>();
  (pod.spec?.containers ?? []).forEach((c, ci) => {
    (c.ports ?? []).forEach((p, pi) => {
      const pp = sp.child('containers').index(ci).child('ports').index(pi);
      if (p.name !== undefined && p.name !== '') {
        for (const m of isValidPortName(p.name)) errs.push(invalid(pp.child('name'), p.name, m));
        if (names.has(p.name)) errs.push(duplicate(pp.child('name'), p.name));
        names.add(p.name);
      }
      if (p.containerPort === undefined || p.containerPort === 0) errs.push(required(pp.child('containerPort')));
      else for (const m of isValidPortNum(p.containerPort)) errs.push(invalid(pp.child('containerPort'), p.containerPort, m));
      if (p.hostPort !== undefined && p.hostPort !== 0)
        for (const m of isValidPortNum(p.hostPort)) errs.push(invalid(pp.child('hostPort'), p.hostPort, m));
      errs.push(..._protocol(p.protocol, pp.child('protocol')));
      errs.push(..._ip(p.hostIP, pp.child('hostIP')));
    });
  });
  const st = path.child('status');
  errs.push(..._ip(pod.status?.podIP, st.child('podIP')));
  (pod.status?.podIPs ?? []).forEach((p, i) => {
    const ipp = st.child('podIPs').index(i).child('ip');
    if (p.ip === undefined || p.ip === '') errs.push(required(ipp));
    else errs.push(..._ip(p.ip, ipp));
  });
  return errs;
}

export function validateService(svc: Service, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const sp = path.child('spec');
  const spec = svc.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === 'None';
  if (!(SERVICE_TYPES as readonly string[]).includes(type)) errs.push(notSupported(sp.child('type'), type, SERVICE_TYPES));
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required(sp.child('ports')));

  if (type === 'ExternalName') {
    if (spec.clusterIP !== undefined && spec.clusterIP !== '')
      errs.push(forbidden(sp.child('clusterIP'), 'may not be set for ExternalName services'));
    if (spec.externalName === undefined || spec.externalName === '') errs.push(required(sp.child('externalName')));
    else for (const m of isDNS1123Subdomain(spec.externalName)) errs.push(invalid(sp.child('externalName'), spec.externalName, m));
  } else if (headless && (type === 'NodePort' || type === 'LoadBalancer')) {
    errs.push(invalid(sp.child('clusterIP'), spec.clusterIP, `may not be set to 'None' for ${type} services`));
  }
  if (spec.clusterIP !== undefined && spec.clusterIP !== '' && spec.clusterIP !== 'None' && !parseIp(spec.clusterIP))
    errs.push(invalid(sp.child('clusterIP'), spec.clusterIP, "must be empty, 'None', or a valid IP address"));
  (spec.clusterIPs ?? []).forEach((ip, i) => {
    const p = sp.child('clusterIPs').index(i);
    if (ip === 'None') {
      if (i > 0 || !headless) errs.push(invalid(p, ip, "must be empty, 'None', or a valid IP address"));
    } else if (!parseIp(ip)) errs.push(invalid(p, ip, IP_HINT));
  });
  const first = spec.clusterIPs?.[0];
  if (first !== undefined && spec.clusterIP !== undefined && spec.clusterIP !== '' && first !== spec.clusterIP)
    errs.push(invalid(sp.child('clusterIPs').index(0), first, 'must match `clusterIP` when both are specified'));

  const names = new Set<string>();
  const portKeys = new Set<string>();
  const nodePortKeys = new Set<string>();
  ports.forEach((port, i) => {
    const pp = sp.child('ports').index(i);
    if (ports.length > 1 && (port.name === undefined || port.name === '')) errs.push(required(pp.child('name')));
    else if (port.name !== undefined && port.name !== '') {
      for (const m of isDNS1123Label(port.name)) errs.push(invalid(pp.child('name'), port.name, m));
      if (names.has(port.name)) errs.push(duplicate(pp.child('name'), port.name));
      names.add(port.name);
    }
    for (const m of isValidPortNum(port.port ?? 0)) errs.push(invalid(pp.child('port'), port.port ?? 0, m));
    errs.push(..._protocol(port.protocol, pp.child('protocol')));
    if (typeof port.targetPort === 'number') {
      for (const m of isValidPortNum(port.targetPort)) errs.push(invalid(pp.child('targetPort'), port.targetPort, m));
    } else if (port.targetPort !== undefined) {
      for (const m of isValidPortName(port.targetPort)) errs.push(invalid(pp.child('targetPort'), port.targetPort, m));
    }
    if (port.nodePort !== undefined && port.nodePort !== 0) {
      if (type === 'ClusterIP') errs.push(forbidden(pp.child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
      else if (port.nodePort < NODE_PORT_RANGE.min || port.nodePort > NODE_PORT_RANGE.max)
        errs.push(
          invalid(
            pp.child('nodePort'),
            port.nodePort,
            `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`,
          ),
        );
      const nk = `${port.protocol ?? ''}/${port.nodePort}`;
      if (nodePortKeys.has(nk)) errs.push(duplicate(pp.child('nodePort'), port.nodePort));
      nodePortKeys.add(nk);
    }
    const pk = `${port.protocol ?? ''}/${port.port ?? 0}`;
    if (portKeys.has(pk)) errs.push(duplicate(pp, { protocol: port.protocol, port: port.port }));
    portKeys.add(pk);
  });

  if (spec.selector !== undefined) errs.push(...validateLabels(spec.selector, sp.child('selector')));

  if (spec.externalTrafficPolicy !== undefined && spec.externalTrafficPolicy !== '') {
    const etp = sp.child('externalTrafficPolicy');
    if (!(EXTERNAL_TRAFFIC_POLICIES as readonly string[]).includes(spec.externalTrafficPolicy))
      errs.push(notSupported(etp, spec.externalTrafficPolicy, EXTERNAL_TRAFFIC_POLICIES));
    else if (type !== 'NodePort' && type !== 'LoadBalancer')
      errs.push(invalid(etp, spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  }
  errs.push(..._ip(spec.loadBalancerIP, sp.child('loadBalancerIP')));

  const ip = path.child('status').child('loadBalancer').child('ingress');
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    const p = ip.index(i);
    errs.push(..._ip(ing.ip, p.child('ip')));
    if (ing.hostname !== undefined && ing.hostname !== '') {
      for (const m of isDNS1123Subdomain(ing.hostname)) errs.push(invalid(p.child('hostname'), ing.hostname, m));
      if (parseIp(ing.hostname)) errs.push(invalid(p.child('hostname'), ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

export function validateNode(node: Node, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const sp = path.child('spec');
  const cidrErr = (v: string, p: FieldPath): FieldError[] =>
    parseCidr(v) ? [] : [invalid(p, v, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
  if (node.spec?.podCIDR !== undefined && node.spec.podCIDR !== '') errs.push(...cidrErr(node.spec.podCIDR, sp.child('podCIDR')));
  const cidrs = node.spec?.podCIDRs ?? [];
  cidrs.forEach((c, i) => errs.push(...cidrErr(c, sp.child('podCIDRs').index(i))));
  if (cidrs.length > 2) errs.push(invalid(sp.child('podCIDRs'), cidrs, 'may specify no more than two CIDRs'));
  else if (cidrs.length === 2) {
    const [a, b] = cidrs.map((c) => parseCidr(c));
    if (a && b && a.family === b.family) errs.push(invalid(sp.child('podCIDRs'), cidrs, 'may specify no more than one CIDR for each IP family'));
  }
  const podCIDR = node.spec?.podCIDR;
  if (podCIDR !== undefined && podCIDR !== '' && cidrs.length > 0 && cidrs[0] !== podCIDR)
    errs.push(invalid(sp.child('podCIDRs').index(0), cidrs[0], 'must match `podCIDR` when both are specified'));
  (node.status?.addresses ?? []).forEach((a, i) => {
    const p = path.child('status').child('addresses').index(i);
    if (a.type === undefined || a.type === '') errs.push(required(p.child('type')));
    else if (!(NODE_ADDRESS_TYPES as readonly string[]).includes(a.type)) errs.push(notSupported(p.child('type'), a.type, NODE_ADDRESS_TYPES));
    if (a.address === undefined || a.address === '') errs.push(required(p.child('address')));
    else if ((a.type === 'InternalIP' || a.type === 'ExternalIP') && !parseIp(a.address))
      errs.push(invalid(p.child('address'), a.address, IP_HINT));
  });
  return errs;
}
