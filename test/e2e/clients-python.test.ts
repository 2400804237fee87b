/**
 * End to end: Debian's python3-kubernetes (/usr/bin/python3, the package `.ci/run` installs)
 * against a real `tabby server` process this suite starts on 127.0.0.1 (free port, temporary
 * data directory). The Python side (test/support/clients/python_client.py) uses the package
 * the way its users do — typed APIs (CoreV1Api, NetworkingV1Api, CustomObjectsApi),
 * `watch.Watch().stream`, the dynamic client with discovery, and server-side apply — and prints
 * what it observed; this file asserts those values. Every Python run has a bounded wait.
 *
 * Without the package the suite is skipped, except under CI=true, where that is a failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { openSqliteDatastore } from '../../src/datastore/index.js';
import { startTabbyServer, type TabbyServer } from '../support/clients/server.js';
import { required } from '../support/tools.js';

const PYTHON = '/usr/bin/python3';
const DRIVER = resolve(import.meta.dirname, '..', 'support', 'clients', 'python_client.py');

function _missing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import kubernetes'], { stdio: 'ignore', timeout: 30_000 });
    return undefined;
  } catch {
    return `python3-kubernetes is not installed (${PYTHON} -c 'import kubernetes' failed)`;
  }
}
const missing = _missing();
const skip = required(missing);

type Json = Record<string, unknown>;

describe('python3-kubernetes against tabby server', { skip }, () => {
  let server: TabbyServer | undefined;
  const results = new Map<string, Promise<Json>>();

  const py = (scenario: string, ...args: string[]): Promise<Json> =>
    new Promise((ok, fail) => {
      execFile(PYTHON, [DRIVER, server!.kubeconfigPath, scenario, ...args], { timeout: 120_000, env: { PATH: '/usr/bin:/bin', HOME: server!.dir } }, (err, stdout, stderr) => {
        if (err) return fail(new Error(`python ${scenario} failed: ${stderr}\nserver log: ${server!.stderr()}`));
        ok(JSON.parse(stdout) as Json);
      });
    });
  /** Each scenario runs once; several tests read its result. */
  const run = (scenario: string): Promise<Json> => {
    let r = results.get(scenario);
    if (!r) results.set(scenario, (r = py(scenario)));
    return r;
  };
  /** Drops the change history of the server's datastore, as etcd compaction does (SQLite is shared across processes). */
  const compact = async (): Promise<void> => {
    const ds = await openSqliteDatastore(join(server!.dataDir, 'tabby.db'));
    try {
      await ds.compact();
    } finally {
      await ds.close();
    }
  };

  before(async () => {
    server = await startTabbyServer('tabby-py-');
  });
  after(async () => {
    await server?.stop();
  });

  const notFound = (plural: string, name: string): Json => ({ status: 404, reason: 'NotFound', kind: 'Status', causes: [], message: `${plural} "${name}" not found` });
  const conflict = (plural: string, name: string): Json => ({
    status: 409,
    reason: 'Conflict',
    kind: 'Status',
    causes: [],
    message: `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
  });

  test('CoreV1Api: Namespace, Pod and Service CRUD, 409 on a stale resourceVersion, label and field selectors', async () => {
    const o = await run('core_crud');
    assert.deepEqual(o['namespace'], { name: 'py-core', labels: { 'kubernetes.io/metadata.name': 'py-core', team: 'a' }, phase: 'Active' });
    assert.deepEqual(o['pod_created'], { uid_set: true, rv_set: true, image: 'nginx:1.27' });
    assert.deepEqual(o['pod_read'], { name: 'web', node: 'worker-1', port: 80 });
    assert.deepEqual(o['replaced_labels'], { app: 'web', tier: 'front' });
    assert.equal(o['rv_changed'], true);
    assert.deepEqual(o['stale_replace'], conflict('pods', 'web'));
    assert.deepEqual(o['label_app_web'], ['web']);
    assert.deepEqual(o['label_app_notin'], ['db']);
    assert.deepEqual(o['label_exists_tier'], ['web']);
    assert.deepEqual(o['field_name_db'], ['db']);
    assert.deepEqual(o['field_ns'], ['db', 'web']);
    assert.deepEqual(o['bad_label_selector'], {
      status: 400,
      reason: 'BadRequest',
      kind: 'Status',
      causes: [],
      message: "unable to parse requirement: found 'app in (web', expected: in, notin, =, ==, !=, gt, lt",
    });
    assert.deepEqual(o['missing'], notFound('pods', 'nope'));
    assert.deepEqual(o['duplicate'], { status: 409, reason: 'AlreadyExists', kind: 'Status', causes: [], message: 'pods "web" already exists' });
    assert.deepEqual(o['after_delete'], notFound('pods', 'db'));
    assert.deepEqual(o['pods_left'], ['web']);
    assert.deepEqual(o['after_delete_collection'], ['web']);
  });

  test('CoreV1Api: an unsupported field selector is 400, not an empty list', async () => {
    const o = await run('core_crud');
    const e = o['unsupported_field_selector'] as Json | null;
    assert.ok(e !== null, 'listing with fieldSelector=spec.nope=x succeeded');
    assert.equal(e['status'], 400);
    assert.equal(e['reason'], 'BadRequest');
    assert.match(String(e['message']), /field label not supported: spec\.nope/);
  });

  test('CoreV1Api: a ClusterIP Service gets its type and a cluster IP', async () => {
    const o = await run('core_crud');
    assert.deepEqual(o['service'], { type: 'ClusterIP', port: 80, cluster_ip_set: true });
  });

  test('NetworkingV1Api: CRUD, strategic-merge and JSON patches, 409, 422 with field causes, dry run', async () => {
    const o = await run('networking');
    assert.deepEqual(o['created'], { name: 'allow-web', port: 80, types: ['Ingress'] });
    assert.deepEqual(o['list_team_web'], ['allow-web']);
    assert.deepEqual(o['list_all_ns'], ['allow-web', 'other']);
    assert.deepEqual(o['smp_labels'], { team: 'web', patched: 'smp' });
    assert.equal(o['json_patch_port'], 8080);
    assert.deepEqual(o['stale_replace'], conflict('networkpolicies.networking.k8s.io', 'allow-web'));
    assert.deepEqual(o['invalid'], {
      status: 422,
      reason: 'Invalid',
      kind: 'Status',
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.ingress[0].ports[0].port' }],
      message: 'NetworkPolicy.networking.k8s.io "bad" is invalid: spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    });
    assert.equal(o['dry_run_returned'], 'dry');
    assert.deepEqual(o['dry_run_stored'], notFound('networkpolicies.networking.k8s.io', 'dry'));
    assert.deepEqual(o['dry_run_delete_kept'], ['allow-web', 'other']);
    assert.deepEqual(o['left'], ['allow-web']);
  });

  test('NetworkingV1Api: a failed JSON-patch test is 422; delete returns a Success Status', async () => {
    const o = await run('networking');
    const t = o['json_patch_failed_test'] as Json;
    assert.equal(t['status'], 422);
    assert.equal(t['reason'], 'Invalid');
    assert.deepEqual(o['delete_status'], { kind: 'Status', status: 'Success' });
  });

  test('CustomObjectsApi: Calico GlobalNetworkPolicy, NetworkPolicy, GlobalNetworkSet, HostEndpoint', async () => {
    const o = await run('calico_custom_objects');
    assert.deepEqual(o['gnp_created'], { name: 'py-db', tier: 'default', order: 100 });
    assert.equal(o['gnp_read_selector'], "role == 'db'");
    assert.equal(o['gnp_merge_order'], 150);
    assert.equal(o['gnp_replaced_order'], 175);
    assert.deepEqual(o['gnp_stale_replace'], conflict('globalnetworkpolicies.projectcalico.org', 'py-db'));
    assert.deepEqual(o['cnp_created'], { name: 'allow-dns', namespace: 'py-cal' });
    assert.deepEqual(o['cnp_list_team'], ['allow-dns']);
    assert.deepEqual(o['cnp_list_other'], []);
    assert.deepEqual(o['gns_nets'], ['198.18.0.0/24', '198.18.1.0/24']);
    assert.deepEqual(o['hep'], { node: 'worker-1', ips: ['198.18.0.10'] });
    assert.deepEqual(o['hep_by_label'], ['py-worker-1-eth0']);
    assert.deepEqual(o['gnp_invalid'], {
      status: 422,
      reason: 'Invalid',
      kind: 'Status',
      causes: [
        { reason: 'FieldValueInvalid', field: 'spec.selector' },
        { reason: 'FieldValueNotSupported', field: 'spec.ingress[0].action' },
      ],
      message:
        'GlobalNetworkPolicy.projectcalico.org "py-bad" is invalid: [spec.selector: Invalid value: "role ==== db": invalid selector: expected string (at column 8), spec.ingress[0].action: Unsupported value: "Maybe": supported values: "Allow", "Deny", "Log", "Pass"]',
    });
    assert.deepEqual(o['hep_invalid'], {
      status: 422,
      reason: 'Invalid',
      kind: 'Status',
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.expectedIPs[0]' }],
      message: 'HostEndpoint.projectcalico.org "py-bad-hep" is invalid: spec.expectedIPs[0]: Invalid value: "not-an-ip": must be a valid IP address',
    });
    assert.deepEqual(o['gnp_dry_run_stored'], notFound('globalnetworkpolicies.projectcalico.org', 'py-dry'));
    assert.deepEqual(o['hep_after_delete'], notFound('hostendpoints.projectcalico.org', 'py-worker-1-eth0'));
  });

  test('server-side apply (apply-patch+yaml, fieldManager, force=True): typed, custom-object and dynamic clients', async () => {
    const o = await run('server_side_apply');
    assert.equal(o['created_order'], 300);
    assert.deepEqual(o['managers'], ['py-tool:Apply']);
    assert.deepEqual(o['conflict'], {
      status: 409,
      reason: 'Conflict',
      kind: 'Status',
      causes: [{ reason: 'FieldManagerConflict', field: '.spec.order' }],
      message: 'Apply failed with 1 conflict: conflict with "py-tool": .spec.order',
    });
    assert.equal(o['forced_order'], 301);
    assert.deepEqual(o['ns_labels'], { applied: 'yes', 'kubernetes.io/metadata.name': 'py-ssa' });
    assert.deepEqual(o['dynamic_apply'], { name: 'applied', port: 80 });
    assert.equal(o['dry_run_returned_order'], 999);
    assert.equal(o['dry_run_stored_order'], 301);
  });

  test('kubernetes.utils.create_from_yaml creates a Namespace, a Pod and a NetworkPolicy; again is FailToCreateError(409)', async () => {
    assert.deepEqual(await run('from_yaml'), {
      created: [
        ['Namespace', 'py-yaml'],
        ['Pod', 'web'],
        ['NetworkPolicy', 'deny-all'],
      ],
      again: [409],
    });
  });

  test('dynamic client: discovery of core, networking and Calico kinds; CRUD, merge and JSON patches, 409, watch', async () => {
    const o = await run('dynamic_client');
    assert.deepEqual(o['discovered'], { Namespace: false, Pod: true, NetworkPolicy: true, GlobalNetworkPolicy: false, HostEndpoint: false, GlobalNetworkSet: false });
    assert.deepEqual(o['cnp_short_names'], ['caliconetworkpolicies', 'caliconetworkpolicy', 'cnp']);
    assert.deepEqual(o['created'], { name: 'dyn', selector: "app == 'web'" });
    assert.deepEqual(o['get_labels'], { via: 'dynamic' });
    assert.deepEqual(o['list'], ['dyn']);
    assert.equal(o['merge_patch_order'], 5);
    assert.deepEqual(o['json_patch_labels'], { via: 'dynamic', jp: 'yes' });
    assert.equal(o['replace_order'], 6);
    assert.deepEqual(o['stale_replace'], conflict('networkpolicies.projectcalico.org', 'dyn'));
    assert.deepEqual(o['dynamic_watch'], [['MODIFIED', 'dyn', 'yes']]);
    assert.deepEqual(o['after_delete'], notFound('networkpolicies.projectcalico.org', 'dyn'));
  });

  test('watch.Watch().stream: resume from a resourceVersion, a live label-selected watch of a Calico kind', async () => {
    const o = await run('watch_stream');
    assert.deepEqual(o['resumed'], [
      ['ADDED', 'a', null],
      ['MODIFIED', 'a', '2'],
      ['DELETED', 'a', '2'],
    ]);
    assert.equal(o['resume_rv_advanced'], true);
    assert.deepEqual(o['live'], [
      ['ADDED', 'w-seen'],
      ['DELETED', 'w-seen'],
    ]);
  });

  test('watch.Watch().stream: an object relabelled out of the selection is DELETED with its last matching state', async () => {
    const o = await run('watch_stream');
    assert.deepEqual(o['selector_exit'], [['DELETED', 'b', 'web']]);
  });

  test('paging with limit/_continue: pages in name order; NamespaceList remainingItemCount', async () => {
    const o = await run('paging');
    const pages = o['pages'] as string[][];
    assert.deepEqual(pages.slice(0, 2), [
      ['page-0', 'page-1', 'page-2'],
      ['page-3', 'page-4', 'page-5'],
    ]);
    assert.equal(o['one_snapshot_rv'], true);
    assert.deepEqual(o['ns_page1'], { count: 2, has_continue: true, remaining: (o['ns_total'] as number) - 2 });
    assert.equal(o['ns_rest_count'], (o['ns_total'] as number) - 2);
  });

  test('paging is a consistent snapshot: an object created after page 1 is not in later pages', async () => {
    const o = await run('paging');
    assert.deepEqual(o['pages'], [
      ['page-0', 'page-1', 'page-2'],
      ['page-3', 'page-4', 'page-5'],
      ['page-6'],
    ]);
  });

  test('after compaction: a watch from an old resourceVersion ends with ERROR 410 Expired (ApiException 410)', async () => {
    await run('paging');
    const { rv } = await py('rv_of_namespaces');
    await py('make_namespace', 'py-after-rv');
    await compact();
    assert.deepEqual(await py('watch_gone', String(rv)), { error: { status: 410, reason: 'Expired' } });
  });

  test('after compaction: an old continue token is 410 Expired with a fresh token that resumes after the last key', async () => {
    const paged = await run('paging');
    await py('make_namespace', 'py-after-token');
    await compact();
    assert.deepEqual(await py('continue_gone', String(paged['continue_for_compaction'])), {
      error: { status: 410, reason: 'Expired' },
      fresh_token: true,
      resumed_first: 'kube-node-lease',
    });
  });
});
