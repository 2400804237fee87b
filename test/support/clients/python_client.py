"""Drives a Tabby API server with Debian's python3-kubernetes, the way its users write it.

Usage: /usr/bin/python3 python_client.py KUBECONFIG SCENARIO [ARG...]

Each scenario talks to the server only through the kubernetes package (typed APIs, watch,
dynamic client) and prints ONE JSON object on stdout: the values it observed. The test
(test/e2e/clients-python.test.ts) asserts them. An unexpected exception exits 1 with the
traceback on stderr. Every call has a bounded timeout.
"""
import json
import sys
import threading

from kubernetes import client, config, dynamic, utils, watch
from kubernetes.client.rest import ApiException

T = 20  # request timeout (s) for every call
CAL = ('projectcalico.org', 'v3')


def err(e):
    """The parts of an ApiException a user's code looks at: status, reason and the Status body."""
    body = {}
    try:
        body = json.loads(e.body) if e.body else {}
    except ValueError:
        body = {'unparsed': e.body}
    causes = (body.get('details') or {}).get('causes') or []
    return {
        'status': e.status,
        'reason': body.get('reason'),
        'kind': body.get('kind'),
        'causes': [{k: c.get(k) for k in ('reason', 'field') if k in c} for c in causes],
        'message': body.get('message'),
    }


def expect_error(fn, *args, **kwargs):
    try:
        fn(*args, _request_timeout=T, **kwargs)
    except ApiException as e:
        return err(e)
    return None


def meta(name, namespace=None, labels=None):
    return client.V1ObjectMeta(name=name, namespace=namespace, labels=labels)


def names(items):
    return [i.metadata.name if hasattr(i, 'metadata') else i['metadata']['name'] for i in items]


def pod(name, ns, labels):
    return client.V1Pod(
        metadata=meta(name, ns, labels),
        spec=client.V1PodSpec(
            node_name='worker-1',
            containers=[client.V1Container(name='nginx', image='nginx:1.27', ports=[client.V1ContainerPort(container_port=80)])],
        ),
    )


def netpol(name, ns, port=80, labels=None):
    return client.V1NetworkPolicy(
        metadata=meta(name, ns, labels),
        spec=client.V1NetworkPolicySpec(
            pod_selector=client.V1LabelSelector(match_labels={'app': 'web'}),
            policy_types=['Ingress'],
            ingress=[client.V1NetworkPolicyIngressRule(
                _from=[client.V1NetworkPolicyPeer(pod_selector=client.V1LabelSelector(match_labels={'role': 'client'}))],
                ports=[client.V1NetworkPolicyPort(protocol='TCP', port=port)],
            )],
        ),
    )


def gnp(name, order=100, labels=None):
    return {
        'apiVersion': 'projectcalico.org/v3',
        'kind': 'GlobalNetworkPolicy',
        'metadata': {'name': name, **({'labels': labels} if labels else {})},
        'spec': {
            'order': order,
            'selector': "role == 'db'",
            'types': ['Ingress'],
            'ingress': [{'action': 'Allow', 'protocol': 'TCP', 'source': {'selector': "role == 'web'"}, 'destination': {'ports': [5432]}}],
        },
    }


def ns_create(core, name, labels=None):
    return core.create_namespace(client.V1Namespace(metadata=meta(name, labels=labels)), _request_timeout=T)


# --- scenarios ---------------------------------------------------------------------------------

def core_crud(api):
    core = client.CoreV1Api(api)
    out = {}
    ns = ns_create(core, 'py-core', {'team': 'a'})
    out['namespace'] = {'name': ns.metadata.name, 'labels': ns.metadata.labels, 'phase': ns.status.phase}
    p = core.create_namespaced_pod('py-core', pod('web', 'py-core', {'app': 'web'}), _request_timeout=T)
    out['pod_created'] = {'uid_set': bool(p.metadata.uid), 'rv_set': bool(p.metadata.resource_version), 'image': p.spec.containers[0].image}
    core.create_namespaced_pod('py-core', pod('db', 'py-core', {'app': 'db'}), _request_timeout=T)
    got = core.read_namespaced_pod('web', 'py-core', _request_timeout=T)
    out['pod_read'] = {'name': got.metadata.name, 'node': got.spec.node_name, 'port': got.spec.containers[0].ports[0].container_port}
    # update (PUT) with the current resourceVersion, then the same stale object again: 409
    got.metadata.labels['tier'] = 'front'
    upd = core.replace_namespaced_pod('web', 'py-core', got, _request_timeout=T)
    out['replaced_labels'] = upd.metadata.labels
    out['rv_changed'] = upd.metadata.resource_version != got.metadata.resource_version
    got.metadata.labels['tier'] = 'stale'
    out['stale_replace'] = expect_error(core.replace_namespaced_pod, 'web', 'py-core', got)
    # selectors
    out['label_app_web'] = names(core.list_namespaced_pod('py-core', label_selector='app=web', _request_timeout=T).items)
    out['label_app_notin'] = names(core.list_namespaced_pod('py-core', label_selector='app notin (web)', _request_timeout=T).items)
    out['label_exists_tier'] = names(core.list_pod_for_all_namespaces(label_selector='tier', _request_timeout=T).items)
    out['field_name_db'] = names(core.list_namespaced_pod('py-core', field_selector='metadata.name=db', _request_timeout=T).items)
    out['field_ns'] = sorted(names(core.list_pod_for_all_namespaces(field_selector='metadata.namespace=py-core', _request_timeout=T).items))
    out['bad_label_selector'] = expect_error(core.list_namespaced_pod, 'py-core', label_selector='app in (web')
    out['unsupported_field_selector'] = expect_error(core.list_namespaced_pod, 'py-core', field_selector='spec.nope=x')
    out['missing'] = expect_error(core.read_namespaced_pod, 'nope', 'py-core')
    out['duplicate'] = expect_error(core.create_namespaced_pod, 'py-core', pod('web', 'py-core', {'app': 'web'}))
    # Services
    svc = core.create_namespaced_service('py-core', client.V1Service(
        metadata=meta('web', 'py-core'),
        spec=client.V1ServiceSpec(selector={'app': 'web'}, ports=[client.V1ServicePort(port=80, target_port=80, protocol='TCP')]),
    ), _request_timeout=T)
    out['service'] = {'type': svc.spec.type, 'port': svc.spec.ports[0].port, 'cluster_ip_set': bool(svc.spec.cluster_ip)}
    # delete; a deleted pod is 404
    core.delete_namespaced_pod('db', 'py-core', _request_timeout=T)
    out['after_delete'] = expect_error(core.read_namespaced_pod, 'db', 'py-core')
    out['pods_left'] = names(core.list_namespaced_pod('py-core', _request_timeout=T).items)
    # deletecollection with a label selector removes only the matching pods
    for n in ('x1', 'x2'):
        core.create_namespaced_pod('py-core', pod(n, 'py-core', {'app': 'batch'}), _request_timeout=T)
    core.delete_collection_namespaced_pod('py-core', label_selector='app=batch', _request_timeout=T)
    out['after_delete_collection'] = names(core.list_namespaced_pod('py-core', _request_timeout=T).items)
    return out


def networking(api):
    core = client.CoreV1Api(api)
    net = client.NetworkingV1Api(api)
    ns_create(core, 'py-net')
    out = {}
    np_ = net.create_namespaced_network_policy('py-net', netpol('allow-web', 'py-net', 80, {'team': 'web'}), _request_timeout=T)
    out['created'] = {'name': np_.metadata.name, 'port': np_.spec.ingress[0].ports[0].port, 'types': np_.spec.policy_types}
    net.create_namespaced_network_policy('py-net', netpol('other', 'py-net', 443, {'team': 'ops'}), _request_timeout=T)
    out['list_team_web'] = names(net.list_namespaced_network_policy('py-net', label_selector='team=web', _request_timeout=T).items)
    out['list_all_ns'] = sorted(names(net.list_network_policy_for_all_namespaces(_request_timeout=T).items))
    # strategic merge patch (a dict body)
    p = net.patch_namespaced_network_policy('allow-web', 'py-net', {'metadata': {'labels': {'patched': 'smp'}}}, _request_timeout=T)
    out['smp_labels'] = p.metadata.labels
    # JSON patch (a list body)
    p = net.patch_namespaced_network_policy('allow-web', 'py-net', [
        {'op': 'test', 'path': '/spec/ingress/0/ports/0/port', 'value': 80},
        {'op': 'replace', 'path': '/spec/ingress/0/ports/0/port', 'value': 8080},
    ], _request_timeout=T)
    out['json_patch_port'] = p.spec.ingress[0].ports[0].port
    out['json_patch_failed_test'] = expect_error(net.patch_namespaced_network_policy, 'allow-web', 'py-net', [
        {'op': 'test', 'path': '/spec/ingress/0/ports/0/port', 'value': 80},
    ])
    # replace with a stale resourceVersion
    cur = net.read_namespaced_network_policy('allow-web', 'py-net', _request_timeout=T)
    net.patch_namespaced_network_policy('allow-web', 'py-net', {'metadata': {'labels': {'bump': '1'}}}, _request_timeout=T)
    cur.spec.ingress[0].ports[0].port = 9090
    out['stale_replace'] = expect_error(net.replace_namespaced_network_policy, 'allow-web', 'py-net', cur)
    # errors with field causes
    bad = netpol('bad', 'py-net', 70000)
    out['invalid'] = expect_error(net.create_namespaced_network_policy, 'py-net', bad)
    # dry run: nothing stored
    dr = net.create_namespaced_network_policy('py-net', netpol('dry', 'py-net'), dry_run='All', _request_timeout=T)
    out['dry_run_returned'] = dr.metadata.name
    out['dry_run_stored'] = expect_error(net.read_namespaced_network_policy, 'dry', 'py-net')
    net.delete_namespaced_network_policy('other', 'py-net', dry_run='All', _request_timeout=T)
    out['dry_run_delete_kept'] = sorted(names(net.list_namespaced_network_policy('py-net', _request_timeout=T).items))
    st = net.delete_namespaced_network_policy('other', 'py-net', _request_timeout=T)
    out['delete_status'] = {'kind': st.kind, 'status': st.status}
    out['left'] = names(net.list_namespaced_network_policy('py-net', _request_timeout=T).items)
    return out


def calico_custom_objects(api):
    co = client.CustomObjectsApi(api)
    core = client.CoreV1Api(api)
    ns_create(core, 'py-cal')
    out = {}
    g = co.create_cluster_custom_object(*CAL, 'globalnetworkpolicies', gnp('py-db', 100, {'team': 'db'}), _request_timeout=T)
    out['gnp_created'] = {'name': g['metadata']['name'], 'tier': g['spec'].get('tier'), 'order': g['spec']['order']}
    got = co.get_cluster_custom_object(*CAL, 'globalnetworkpolicies', 'py-db', _request_timeout=T)
    out['gnp_read_selector'] = got['spec']['selector']
    # merge patch (what CustomObjectsApi sends for a dict)
    p = co.patch_cluster_custom_object(*CAL, 'globalnetworkpolicies', 'py-db', {'spec': {'order': 150}}, _request_timeout=T)
    out['gnp_merge_order'] = p['spec']['order']
    # replace with the current resourceVersion, then stale: 409
    got = co.get_cluster_custom_object(*CAL, 'globalnetworkpolicies', 'py-db', _request_timeout=T)
    got['spec']['order'] = 175
    r = co.replace_cluster_custom_object(*CAL, 'globalnetworkpolicies', 'py-db', got, _request_timeout=T)
    out['gnp_replaced_order'] = r['spec']['order']
    got['spec']['order'] = 1
    out['gnp_stale_replace'] = expect_error(co.replace_cluster_custom_object, *CAL, 'globalnetworkpolicies', 'py-db', got)
    # a namespaced Calico NetworkPolicy
    cnp = {
        'apiVersion': 'projectcalico.org/v3', 'kind': 'NetworkPolicy',
        'metadata': {'name': 'allow-dns', 'namespace': 'py-cal', 'labels': {'team': 'net'}},
        'spec': {'selector': 'all()', 'types': ['Egress'], 'egress': [{'action': 'Allow', 'protocol': 'UDP', 'destination': {'ports': [53]}}]},
    }
    c = co.create_namespaced_custom_object(*CAL, 'py-cal', 'networkpolicies', cnp, _request_timeout=T)
    out['cnp_created'] = {'name': c['metadata']['name'], 'namespace': c['metadata']['namespace']}
    out['cnp_list_team'] = names(co.list_namespaced_custom_object(*CAL, 'py-cal', 'networkpolicies', label_selector='team=net', _request_timeout=T)['items'])
    out['cnp_list_other'] = names(co.list_namespaced_custom_object(*CAL, 'py-cal', 'networkpolicies', label_selector='team=other', _request_timeout=T)['items'])
    # GlobalNetworkSet and HostEndpoint
    co.create_cluster_custom_object(*CAL, 'globalnetworksets', {
        'apiVersion': 'projectcalico.org/v3', 'kind': 'GlobalNetworkSet',
        'metadata': {'name': 'py-blocked', 'labels': {'kind': 'blocklist'}}, 'spec': {'nets': ['198.18.0.0/24']},
    }, _request_timeout=T)
    s = co.patch_cluster_custom_object(*CAL, 'globalnetworksets', 'py-blocked', {'spec': {'nets': ['198.18.0.0/24', '198.18.1.0/24']}}, _request_timeout=T)
    out['gns_nets'] = s['spec']['nets']
    h = co.create_cluster_custom_object(*CAL, 'hostendpoints', {
        'apiVersion': 'projectcalico.org/v3', 'kind': 'HostEndpoint',
        'metadata': {'name': 'py-worker-1-eth0', 'labels': {'role': 'worker'}},
        'spec': {'node': 'worker-1', 'interfaceName': 'eth0', 'expectedIPs': ['198.18.0.10']},
    }, _request_timeout=T)
    out['hep'] = {'node': h['spec']['node'], 'ips': h['spec']['expectedIPs']}
    out['hep_by_label'] = names(co.list_cluster_custom_object(*CAL, 'hostendpoints', label_selector='role=worker', _request_timeout=T)['items'])
    # errors with field causes
    bad = gnp('py-bad')
    bad['spec']['selector'] = 'role ==== db'
    bad['spec']['ingress'][0]['action'] = 'Maybe'
    out['gnp_invalid'] = expect_error(co.create_cluster_custom_object, *CAL, 'globalnetworkpolicies', bad)
    out['hep_invalid'] = expect_error(co.create_cluster_custom_object, *CAL, 'hostendpoints', {
        'apiVersion': 'projectcalico.org/v3', 'kind': 'HostEndpoint', 'metadata': {'name': 'py-bad-hep'},
        'spec': {'node': 'worker-1', 'expectedIPs': ['not-an-ip']},
    })
    # dry run
    co.create_cluster_custom_object(*CAL, 'globalnetworkpolicies', gnp('py-dry'), dry_run='All', _request_timeout=T)
    out['gnp_dry_run_stored'] = expect_error(co.get_cluster_custom_object, *CAL, 'globalnetworkpolicies', 'py-dry')
    # delete
    co.delete_cluster_custom_object(*CAL, 'hostendpoints', 'py-worker-1-eth0', _request_timeout=T)
    out['hep_after_delete'] = expect_error(co.get_cluster_custom_object, *CAL, 'hostendpoints', 'py-worker-1-eth0')
    return out


def server_side_apply(api):
    """SSA the way python users do it: a YAML/JSON string body and the apply-patch content type."""
    core = client.CoreV1Api(api)
    ns_create(core, 'py-ssa')
    out = {}
    applier = client.ApiClient(api.configuration)
    applier.set_default_header('Content-Type', 'application/apply-patch+yaml')
    co = client.CustomObjectsApi(applier)
    body = json.dumps(gnp('py-ssa', 300))
    a = co.patch_cluster_custom_object(*CAL, 'globalnetworkpolicies', 'py-ssa', body, field_manager='py-tool', _request_timeout=T)
    out['created_order'] = a['spec']['order']
    out['managers'] = sorted({m['manager'] + ':' + m['operation'] for m in a['metadata'].get('managedFields', [])})
    # a second manager that sets the same field conflicts, unless forced
    other = json.dumps({'apiVersion': 'projectcalico.org/v3', 'kind': 'GlobalNetworkPolicy', 'metadata': {'name': 'py-ssa'}, 'spec': {'order': 301}})
    out['conflict'] = expect_error(co.patch_cluster_custom_object, *CAL, 'globalnetworkpolicies', 'py-ssa', other, field_manager='py-other')
    f = co.patch_cluster_custom_object(*CAL, 'globalnetworkpolicies', 'py-ssa', other, field_manager='py-other', force=True, _request_timeout=T)
    out['forced_order'] = f['spec']['order']
    # typed core API: apply a Namespace's labels
    capi = client.CoreV1Api(applier)
    nsb = json.dumps({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'py-ssa', 'labels': {'applied': 'yes'}}})
    n = capi.patch_namespace('py-ssa', nsb, field_manager='py-tool', _request_timeout=T)
    out['ns_labels'] = n.metadata.labels
    # the dynamic client's server_side_apply, with a string body
    dc = dynamic.DynamicClient(api)
    res = dc.resources.get(api_version='networking.k8s.io/v1', kind='NetworkPolicy')
    npb = api.sanitize_for_serialization(netpol('applied', 'py-ssa', 80))
    npb.update({'apiVersion': 'networking.k8s.io/v1', 'kind': 'NetworkPolicy'})
    d = dc.server_side_apply(res, body=json.dumps(npb), name='applied', namespace='py-ssa', field_manager='py-dyn', force_conflicts=True, _request_timeout=T)
    out['dynamic_apply'] = {'name': d.metadata.name, 'port': d.spec.ingress[0].ports[0].port}
    # dry-run apply changes nothing
    dry = json.dumps({'apiVersion': 'projectcalico.org/v3', 'kind': 'GlobalNetworkPolicy', 'metadata': {'name': 'py-ssa'}, 'spec': {'order': 999}})
    x = co.patch_cluster_custom_object(*CAL, 'globalnetworkpolicies', 'py-ssa', dry, field_manager='py-other', force=True, dry_run='All', _request_timeout=T)
    out['dry_run_returned_order'] = x['spec']['order']
    out['dry_run_stored_order'] = client.CustomObjectsApi(api).get_cluster_custom_object(*CAL, 'globalnetworkpolicies', 'py-ssa', _request_timeout=T)['spec']['order']
    return out


def dynamic_client(api):
    dc = dynamic.DynamicClient(api)
    out = {}
    out['discovered'] = {
        k: dc.resources.get(api_version=v, kind=k).namespaced
        for v, k in [('v1', 'Namespace'), ('v1', 'Pod'), ('networking.k8s.io/v1', 'NetworkPolicy'),
                     ('projectcalico.org/v3', 'GlobalNetworkPolicy'), ('projectcalico.org/v3', 'HostEndpoint'), ('projectcalico.org/v3', 'GlobalNetworkSet')]
    }
    cnp_res = dc.resources.get(api_version='projectcalico.org/v3', kind='NetworkPolicy')
    out['cnp_short_names'] = sorted(cnp_res.short_names or [])
    ns = dc.resources.get(api_version='v1', kind='Namespace')
    ns.create(body={'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'py-dyn'}})
    body = {
        'apiVersion': 'projectcalico.org/v3', 'kind': 'NetworkPolicy',
        'metadata': {'name': 'dyn', 'namespace': 'py-dyn', 'labels': {'via': 'dynamic'}},
        'spec': {'selector': "app == 'web'", 'types': ['Ingress'], 'ingress': [{'action': 'Allow'}]},
    }
    c = cnp_res.create(body=body, namespace='py-dyn')
    out['created'] = {'name': c.metadata.name, 'selector': c.spec.selector}
    g = cnp_res.get(name='dyn', namespace='py-dyn')
    out['get_labels'] = dict(g.metadata.labels)
    lst = cnp_res.get(namespace='py-dyn', label_selector='via=dynamic')
    out['list'] = [i.metadata.name for i in lst.items]
    p = cnp_res.patch(name='dyn', namespace='py-dyn', body={'spec': {'order': 5}}, content_type='application/merge-patch+json')
    out['merge_patch_order'] = p.spec.order
    p = cnp_res.patch(name='dyn', namespace='py-dyn', body=[{'op': 'add', 'path': '/metadata/labels/jp', 'value': 'yes'}], content_type='application/json-patch+json')
    out['json_patch_labels'] = dict(p.metadata.labels)
    cur = cnp_res.get(name='dyn', namespace='py-dyn').to_dict()
    cur['spec']['order'] = 6
    r = cnp_res.replace(body=cur, namespace='py-dyn')
    out['replace_order'] = r.spec.order
    try:
        cnp_res.replace(body=cur, namespace='py-dyn')
        out['stale_replace'] = None
    except ApiException as e:
        out['stale_replace'] = err(e)
    # the dynamic client's watch (Watch().stream under the hood) from the list's resourceVersion
    rv = cnp_res.get(namespace='py-dyn').metadata.resourceVersion
    cnp_res.patch(name='dyn', namespace='py-dyn', body={'metadata': {'labels': {'watched': 'yes'}}}, content_type='application/merge-patch+json')
    seen = []
    for ev in cnp_res.watch(namespace='py-dyn', resource_version=rv, timeout=10):
        seen.append([ev['type'], ev['object'].metadata.name, ev['object'].metadata.labels['watched']])
        break
    out['dynamic_watch'] = seen
    d = cnp_res.delete(name='dyn', namespace='py-dyn')
    out['delete_kind'] = d.kind
    try:
        cnp_res.get(name='dyn', namespace='py-dyn')
        out['after_delete'] = None
    except ApiException as e:
        out['after_delete'] = err(e)
    return out


def watch_stream(api):
    """Watch().stream from a resourceVersion (resume), and a live watch in a thread."""
    core = client.CoreV1Api(api)
    co = client.CustomObjectsApi(api)
    ns_create(core, 'py-watch')
    out = {}
    rv = core.list_namespaced_pod('py-watch', _request_timeout=T).metadata.resource_version
    core.create_namespaced_pod('py-watch', pod('a', 'py-watch', {'app': 'web'}), _request_timeout=T)
    core.patch_namespaced_pod('a', 'py-watch', {'metadata': {'labels': {'v': '2'}}}, _request_timeout=T)
    core.delete_namespaced_pod('a', 'py-watch', _request_timeout=T)
    events = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_pod, 'py-watch', resource_version=rv, timeout_seconds=10):
        events.append([ev['type'], ev['object'].metadata.name, (ev['object'].metadata.labels or {}).get('v')])
        if len(events) == 3:
            w.stop()
    out['resumed'] = events
    out['resume_rv_advanced'] = int(w.resource_version) > int(rv)
    # live: a watch started first sees a create made afterwards (Calico kind, CustomObjectsApi)
    seen = []
    ready = threading.Event()
    w2 = watch.Watch()
    start_rv = co.list_cluster_custom_object(*CAL, 'globalnetworksets', _request_timeout=T)['metadata']['resourceVersion']

    def run():
        ready.set()
        for ev in w2.stream(co.list_cluster_custom_object, *CAL, 'globalnetworksets', resource_version=start_rv, label_selector='watch=me', timeout_seconds=10):
            seen.append([ev['type'], ev['object']['metadata']['name']])
            if len(seen) == 2:
                w2.stop()

    t = threading.Thread(target=run)
    t.start()
    ready.wait(5)
    for name, labels in [('w-ignored', {'watch': 'no'}), ('w-seen', {'watch': 'me'})]:
        co.create_cluster_custom_object(*CAL, 'globalnetworksets', {
            'apiVersion': 'projectcalico.org/v3', 'kind': 'GlobalNetworkSet', 'metadata': {'name': name, 'labels': labels}, 'spec': {'nets': ['198.18.2.0/24']},
        }, _request_timeout=T)
    co.delete_cluster_custom_object(*CAL, 'globalnetworksets', 'w-seen', _request_timeout=T)
    t.join(15)
    out['live'] = seen
    # a selector exit: relabelled out of the selection is DELETED, carrying the last matching state
    core.create_namespaced_pod('py-watch', pod('b', 'py-watch', {'app': 'web'}), _request_timeout=T)
    rv2 = core.read_namespaced_pod('b', 'py-watch', _request_timeout=T).metadata.resource_version
    core.patch_namespaced_pod('b', 'py-watch', {'metadata': {'labels': {'app': 'db'}}}, _request_timeout=T)
    exits = []
    w3 = watch.Watch()
    for ev in w3.stream(core.list_namespaced_pod, 'py-watch', label_selector='app=web', resource_version=rv2, timeout_seconds=10):
        exits.append([ev['type'], ev['object'].metadata.name, ev['object'].metadata.labels.get('app')])
        w3.stop()
    out['selector_exit'] = exits
    return out


def watch_gone(api, old_rv):
    """A watch from a compacted resourceVersion: the stream's ERROR 410 becomes ApiException(410)."""
    core = client.CoreV1Api(api)
    try:
        for _ in watch.Watch().stream(core.list_namespace, resource_version=old_rv, timeout_seconds=5):
            pass
        return {'error': None}
    except ApiException as e:
        return {'error': {'status': e.status, 'reason': e.reason.split(':')[0]}}


def paging(api):
    co = client.CustomObjectsApi(api)
    core = client.CoreV1Api(api)
    out = {}
    for i in range(7):
        co.create_cluster_custom_object(*CAL, 'globalnetworksets', {
            'apiVersion': 'projectcalico.org/v3', 'kind': 'GlobalNetworkSet',
            'metadata': {'name': 'page-%d' % i, 'labels': {'paged': 'yes'}}, 'spec': {'nets': ['198.18.3.%d/32' % i]},
        }, _request_timeout=T)
    pages = []
    token = None
    rvs = set()
    created_between = False
    while True:
        kw = {'label_selector': 'paged=yes', 'limit': 3}
        if token:
            kw['_continue'] = token
        r = co.list_cluster_custom_object(*CAL, 'globalnetworksets', _request_timeout=T, **kw)
        pages.append(names(r['items']))
        rvs.add(r['metadata']['resourceVersion'])
        token = r['metadata'].get('continue')
        if not created_between:
            # made after page 1: a consistent snapshot does not show it in later pages
            co.create_cluster_custom_object(*CAL, 'globalnetworksets', {
                'apiVersion': 'projectcalico.org/v3', 'kind': 'GlobalNetworkSet',
                'metadata': {'name': 'page-9-late', 'labels': {'paged': 'yes'}}, 'spec': {'nets': ['198.18.3.99/32']},
            }, _request_timeout=T)
            created_between = True
        if not token or len(pages) > 10:
            break
    out['pages'] = pages
    out['one_snapshot_rv'] = len(rvs) == 1
    ns = core.list_namespace(limit=2, _request_timeout=T)
    out['ns_page1'] = {'count': len(ns.items), 'has_continue': bool(ns.metadata._continue), 'remaining': ns.metadata.remaining_item_count}
    ns2 = core.list_namespace(limit=100, _continue=ns.metadata._continue, _request_timeout=T)
    out['ns_rest_count'] = len(ns2.items)
    out['ns_total'] = len(core.list_namespace(_request_timeout=T).items)
    out['continue_for_compaction'] = core.list_namespace(limit=1, _request_timeout=T).metadata._continue
    return out


def continue_gone(api, token):
    """A continue token whose revision was compacted: 410 Expired, with a fresh token to go on from."""
    core = client.CoreV1Api(api)
    try:
        core.list_namespace(limit=1, _continue=token, _request_timeout=T)
        return {'error': None}
    except ApiException as e:
        body = json.loads(e.body)
        fresh = (body.get('metadata') or {}).get('continue')
        after = core.list_namespace(limit=100, _continue=fresh, _request_timeout=T) if fresh else None
        return {'error': {'status': e.status, 'reason': body.get('reason')}, 'fresh_token': bool(fresh),
                'resumed_first': after.items[0].metadata.name if after and after.items else None}


def from_yaml(api):
    """kubernetes.utils.create_from_yaml: the manifest route (built-in groups only, by design of the package)."""
    docs = [
        {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'py-yaml'}},
        {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'web', 'namespace': 'py-yaml', 'labels': {'app': 'web'}},
         'spec': {'containers': [{'name': 'nginx', 'image': 'nginx:1.27'}]}},
        {'apiVersion': 'networking.k8s.io/v1', 'kind': 'NetworkPolicy', 'metadata': {'name': 'deny-all', 'namespace': 'py-yaml'},
         'spec': {'podSelector': {}, 'policyTypes': ['Ingress']}},
    ]
    created = utils.create_from_yaml(api, yaml_objects=docs)
    out = {'created': [[o.kind, o.metadata.name] for group in created for o in group]}
    try:
        utils.create_from_yaml(api, yaml_objects=docs[1:2])
        out['again'] = None
    except utils.FailToCreateError as e:
        out['again'] = [x.status for x in e.api_exceptions]
    return out


def exec_logs(api, namespace, pod_name, log_pod):
    """kubernetes.stream.stream over pods/exec (WebSocket, v4.channel.k8s.io) and read_namespaced_pod_log."""
    from kubernetes.stream import stream
    core = client.CoreV1Api(api)
    out = {}
    out['hosts'] = stream(core.connect_get_namespaced_pod_exec, pod_name, namespace, command=['cat', '/etc/hosts'],
                          stderr=True, stdin=False, stdout=True, tty=False, _request_timeout=T)
    resp = stream(core.connect_get_namespaced_pod_exec, pod_name, namespace, command=['sh', '-c', 'echo out; exit 3'],
                  stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=T)
    out['exit'] = {'returncode': resp.returncode, 'stdout': resp.read_stdout()}
    resp.close()
    out['log'] = core.read_namespaced_pod_log(log_pod, namespace, _request_timeout=T)
    return out


def make_namespace(api, name):
    return {'rv': ns_create(client.CoreV1Api(api), name).metadata.resource_version}


def rv_of_namespaces(api):
    return {'rv': client.CoreV1Api(api).list_namespace(_request_timeout=T).metadata.resource_version}


SCENARIOS = {
    'core_crud': core_crud, 'networking': networking, 'calico_custom_objects': calico_custom_objects,
    'server_side_apply': server_side_apply, 'dynamic_client': dynamic_client, 'watch_stream': watch_stream,
    'watch_gone': watch_gone, 'paging': paging, 'continue_gone': continue_gone, 'rv_of_namespaces': rv_of_namespaces,
    'make_namespace': make_namespace, 'exec_logs': exec_logs, 'from_yaml': from_yaml,
}


def main(argv):
    kubeconfig, scenario, args = argv[1], argv[2], argv[3:]
    cfg = client.Configuration()
    config.load_kube_config(config_file=kubeconfig, client_configuration=cfg)
    with client.ApiClient(cfg) as api:
        result = SCENARIOS[scenario](api, *args)
    sys.stdout.write(json.dumps(result, sort_keys=True) + '\n')


if __name__ == '__main__':
    main(sys.argv)
