/**
 * @module The engine's input for the analysis commands (verdict, matrix, diff, test, lint,
 * query): resources from `-f <file|dir|->` (multi-document YAML or JSON, `kind: List`), or,
 * without `-f`, from the datastore calicoctl is configured for (calicoctl.cfg or environment).
 *
 * Invariants:
 * - Every invalid document is reported on stderr as `file:line:col: path: message` and left out;
 *   the caller decides what that means for its exit code (`errors` counts them).
 * - Documents of kinds Tabby does not read (ConfigMap, Deployment, …) are skipped with one
 *   summary line: a cluster dump may carry them, and they cannot change a verdict.
 * - `locate` maps a resource identity plus a field path back to `file:line:col`, so pure engine
 *   findings (lint) are printed where the user can act on them.
 */
import { isMap, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { buildSnapshot, type Snapshot } from '../engine/index.js';
import type { Resource } from '../model/meta.js';
import type { FieldPath } from '../model/field/path.js';
import { ALL_KINDS } from '../model/kinds.js';
import { decodeResource } from '../model/validate-resource.js';
import { decodeImported, isModelledKddKind, KDD_KINDS } from '../model/convert/index.js';
import type { Datastore } from '../datastore/index.js';
import type { LocatedError, Location } from '../manifest/index.js';
import type { Command } from 'commander';
import { readManifests } from './input/read-manifests.js';
import { collect, flag, intOption, stringList, stringOpt } from './commands/context.js';
import { printErrors, plural } from './output/located.js';
import type { Io } from './io.js';
import { loadCalicoctlConfig, type LoadedConfig } from './calicoctl/config.js';
import { openDatastoreFromConfig } from './datastore-config.js';
import { DATA_DIR_DOC } from './paths.js';
import { readLive } from './live/index.js';

/** The identity engine findings use to name a resource. */
export interface ResourceRef {
  readonly kind: string;
  /** API group ('' for core v1). */
  readonly group: string;
  /** '' for cluster-scoped kinds. */
  readonly namespace: string;
  readonly name: string;
}

export interface EngineInput {
  readonly snapshot: Snapshot;
  /** The decoded, defaulted resources the snapshot was built from. */
  readonly resources: readonly Resource[];
  /** Invalid documents (already reported on stderr). */
  readonly errors: number;
  /** Where the resources came from, for messages: `3 files` or `datastore (embedded)`. */
  readonly origin: string;
  /** `file:line:col` of a field of a resource read from a file; `Kind ns/name` otherwise. */
  locate(ref: ResourceRef, path?: FieldPath): string;
}

export interface InputOptions {
  readonly files: readonly string[];
  readonly recursive: boolean;
  /** calicoctl config file (`--config`); only used without `-f`. */
  readonly config?: string | undefined;
  /** `--data-dir`: the cluster to read without `-f` and `--config` (else TABBY_DATA_DIR, else the default). */
  readonly dataDir?: string | undefined;
  /** Opens the datastore (tests inject one); default: the configured datastore. */
  readonly openDatastore?: ((config: LoadedConfig, io: Io) => Promise<Datastore>) | undefined;
  /** The command name, for messages. */
  readonly command: string;
  /** `--kubeconfig`: read the live cluster it names instead (read-only). */
  readonly kubeconfig?: string | undefined;
  /** `--context`: the kubeconfig context (default: its current-context). */
  readonly context?: string | undefined;
  /** `--chunk-size`: list page size with --kubeconfig (default 500, as kubectl). */
  readonly chunkSize?: number | undefined;
}

const _group = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

export function refOf(r: Resource): ResourceRef {
  const info = ALL_KINDS.find((k) => k.kind === r.kind && k.group === _group(r.apiVersion));
  const ns = r.metadata?.namespace ?? '';
  return { kind: r.kind, group: _group(r.apiVersion), namespace: info?.namespaced === true && ns === '' ? 'default' : ns, name: r.metadata?.name ?? '' };
}

export function refKey(ref: ResourceRef): string {
  return `${ref.kind}|${ref.group}|${ref.namespace}|${ref.name}`;
}

export function describeRef(ref: ResourceRef): string {
  return `${ref.kind} ${ref.namespace === '' ? '' : `${ref.namespace}/`}${ref.name}`;
}

/** True for a decode error that only says "Tabby does not read this kind". */
function _isForeignKind(e: LocatedError): boolean {
  const f = e.fieldError;
  if (f === undefined) return false;
  const last = f.field.keys().at(-1);
  if (last === 'kind' && f.type === 'NotSupported') return true;
  return last === 'apiVersion' && f.type === 'Invalid' && f.detail.includes('unknown API group/version');
}

interface _Source {
  readonly file: string;
  readonly doc: number;
  readonly location: Location;
}

/** Parsed YAML documents per file, made only when a finding needs a precise location. */
class _Locator {
  readonly #texts = new Map<string, string>();
  readonly #docs = new Map<string, { docs: Document.Parsed[]; lc: LineCounter }>();
  readonly #sources = new Map<string, _Source>();

  addFile(name: string, text: string): void {
    this.#texts.set(name, text);
  }
  addSource(ref: ResourceRef, src: _Source): void {
    this.#sources.set(refKey(ref), src);
  }

  locate(ref: ResourceRef, path: FieldPath | undefined): string {
    const src = this.#sources.get(refKey(ref));
    if (src === undefined) return describeRef(ref);
    const at = (l: Location): string => `${l.file}:${l.line}:${l.col}`;
    if (path === undefined || path.keys().length === 0) return at(src.location);
    const parsed = this.#parsed(src.file);
    const doc = parsed?.docs[src.doc];
    if (parsed === undefined || doc === undefined) return at(src.location);
    const root = _resourceNode(doc, parsed.lc, src.location);
    if (root === undefined) return at(src.location);
    const off = _offsetOf(root, path.keys());
    if (off === undefined) return at(src.location);
    const p = parsed.lc.linePos(off);
    return `${src.file}:${p.line}:${p.col}`;
  }

  #parsed(file: string): { docs: Document.Parsed[]; lc: LineCounter } | undefined {
    let p = this.#docs.get(file);
    if (p === undefined) {
      const text = this.#texts.get(file);
      if (text === undefined) return undefined;
      const lc = new LineCounter();
      try {
        const docs = parseAllDocuments(text.startsWith('\uFEFF') ? text.slice(1) : text, { lineCounter: lc, logLevel: 'silent' });
        p = { docs: Array.isArray(docs) ? docs : [], lc };
      } catch {
        p = { docs: [], lc };
      }
      this.#docs.set(file, p);
    }
    return p;
  }
}

/** The node of one resource: the document, or the `items[i]` of a List that starts at `loc`. */
function _resourceNode(doc: Document.Parsed, lc: LineCounter, loc: Location): Node | undefined {
  const top = doc.contents;
  if (!isMap(top)) return top ?? undefined;
  const items = top.get('items', true);
  if (isSeq(items)) {
    for (const it of items.items) {
      const n = it as Node;
      if (n.range === undefined || n.range === null) continue;
      const p = lc.linePos(n.range[0]);
      if (p.line === loc.line && p.col === loc.col) return n;
    }
  }
  return top;
}

/** Offset of the deepest existing node on the path: the value, or the key of a missing child. */
function _offsetOf(root: Node, keys: readonly (string | number)[]): number | undefined {
  let node: unknown = root;
  let best = (root.range ?? undefined)?.[0];
  for (const k of keys) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const key = p.key as { value?: unknown } | null;
        return String(key !== null && typeof key === 'object' && 'value' in key ? key.value : key) === String(k);
      });
      if (pair === undefined) return best;
      const v = pair.value as Node | null;
      const keyNode = pair.key as Node | null;
      best = v?.range?.[0] ?? keyNode?.range?.[0] ?? best;
      node = v;
    } else if (isSeq(node) && typeof k === 'number') {
      const item = node.items[k] as Node | undefined;
      if (item === undefined) return best;
      best = item.range?.[0] ?? best;
      node = item;
    } else return best;
  }
  return best;
}

/** Loads resources from files, or from the datastore when no `-f` is given. */
export async function loadEngineInput(io: Io, opts: InputOptions): Promise<EngineInput | undefined> {
  if (opts.kubeconfig !== undefined) {
    if (opts.files.length > 0 || opts.config !== undefined) {
      io.stderr(`tabby ${opts.command}: give either --kubeconfig or -f/--config, not both\n`);
      return undefined;
    }
    return _fromCluster(io, opts.kubeconfig, opts);
  }
  if (opts.context !== undefined) {
    io.stderr(`tabby ${opts.command}: --context needs --kubeconfig\n`);
    return undefined;
  }
  if (opts.files.length === 0) return _fromDatastore(io, opts);
  const read = await readManifests(io, opts.files, opts.recursive);
  for (const p of read.problems) io.stderr(`tabby ${opts.command}: ${p}\n`);
  const locator = new _Locator();
  const resources: Resource[] = [];
  let errors = read.problems.length;
  let foreign = 0;
  for (const f of read.files) {
    const real = f.result.errors.filter((e) => !_isForeignKind(e));
    foreign += f.result.errors.length - real.length;
    printErrors(io, real);
    errors += new Set(real.map((e) => e.doc)).size;
    for (const r of f.result.resources) {
      resources.push(r.resource);
      locator.addSource(refOf(r.resource), { file: f.name, doc: r.doc, location: r.location });
    }
  }
  // Kept for located findings (parsed again only when one needs a field position).
  await _rememberTexts(io, read.files.map((f) => f.name), locator);
  if (foreign > 0) io.stderr(`tabby ${opts.command}: skipped ${plural(foreign, 'document')} of kinds Tabby does not read\n`);
  const snapshot = buildSnapshot(resources);
  for (const p of snapshot.problems) io.stderr(`tabby ${opts.command}: ${p.resource}: ${p.message}\n`);
  return {
    snapshot,
    resources,
    errors,
    origin: plural(read.files.length, 'file'),
    locate: (ref, path) => locator.locate(ref, path),
  };
}

async function _rememberTexts(io: Io, names: readonly string[], locator: _Locator): Promise<void> {
  for (const n of names) {
    if (n === '<stdin>') continue; // stdin was consumed; its findings fall back to the document start
    try {
      locator.addFile(n, await io.readFile(n));
    } catch {
      // the file vanished since; its findings fall back to the document start
    }
  }
}

async function _fromDatastore(io: Io, opts: InputOptions): Promise<EngineInput | undefined> {
  const loaded = await loadCalicoctlConfig(io, opts.config, { dataDir: opts.dataDir });
  if (!loaded.ok) {
    io.stderr(`tabby ${opts.command}: cannot read the datastore configuration: ${loaded.error}\n`);
    return undefined;
  }
  if (loaded.value.missing !== undefined && opts.openDatastore === undefined) {
    io.stderr(`tabby ${opts.command}: ${loaded.value.missing} (or give the resources with -f)\n`);
    return undefined;
  }
  // The running cluster is the expected default; reading a stopped one's datastore is said.
  if (loaded.value.note !== undefined && loaded.value.file === undefined && opts.openDatastore === undefined) io.stderr(`tabby ${opts.command}: ${loaded.value.note}\n`);
  let ds: Datastore;
  try {
    ds = opts.openDatastore !== undefined ? await opts.openDatastore(loaded.value, io) : await openDatastoreFromConfig(loaded.value.spec, { env: io.env });
  } catch (e) {
    io.stderr(`tabby ${opts.command}: cannot open the datastore: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
    return undefined;
  }
  try {
    return await loadFromDatastore(io, ds, opts.command, `datastore (${loaded.value.spec.datastoreType ?? 'embedded'})`);
  } catch (e) {
    io.stderr(`tabby ${opts.command}: cannot read the datastore: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
    return undefined;
  } finally {
    if (opts.openDatastore === undefined) await ds.close();
  }
}

async function _fromCluster(io: Io, kubeconfig: string, opts: InputOptions): Promise<EngineInput | undefined> {
  const live = await readLive(io, { kubeconfig, context: opts.context, command: opts.command, ...(opts.chunkSize !== undefined ? { api: { pageSize: opts.chunkSize } } : {}) });
  if (live === undefined) return undefined;
  const snapshot = buildSnapshot(live.resources);
  for (const p of snapshot.problems) io.stderr(`tabby ${opts.command}: ${p.resource}: ${p.message}\n`);
  return { snapshot, resources: live.resources, errors: live.errors, origin: live.origin, locate: (ref) => describeRef(ref) };
}

/** Lists every kind the engine reads from an open datastore (raw objects, no derived views). */
export async function loadFromDatastore(io: Io, ds: Datastore, command: string, origin: string): Promise<EngineInput> {
  const resources: Resource[] = [];
  let errors = 0;
  const seen = new Set<string>();
  for (const info of ALL_KINDS) {
    const t = `${info.group}/${info.plural}`;
    if (seen.has(t) || info.kind === 'CalicoAPIConfig' || info.neverStored === true) continue;
    seen.add(t);
    const { items } = await ds.list({ group: info.group, plural: info.plural });
    for (const obj of items) {
      const r = decodeResource(obj);
      if (r.ok) resources.push(r.value.resource);
      else {
        errors++;
        const ref = refOf(obj as Resource);
        for (const e of r.error) io.stderr(`${describeRef(ref)}: ${e.path}: ${e.message}\n`);
      }
    }
  }
  // A server in CRD mode (`tabby server --calico-api crd`) keeps Calico's resources as
  // crd.projectcalico.org/v1 custom resources: read as Calico reads them.
  for (const info of KDD_KINDS) {
    if (!isModelledKddKind(info)) continue;
    const { items } = await ds.list({ group: info.group, plural: info.plural });
    for (const obj of items) {
      const r = decodeImported(obj);
      if (r.ok) resources.push(r.value.resource);
      else {
        errors++;
        const ref = refOf(obj as Resource);
        for (const e of r.error) io.stderr(`${describeRef(ref)}.${info.group}: ${e.path}: ${e.message}\n`);
      }
    }
  }
  const snapshot = buildSnapshot(resources);
  for (const p of snapshot.problems) io.stderr(`tabby ${command}: ${p.resource}: ${p.message}\n`);
  return { snapshot, resources, errors, origin, locate: (ref) => describeRef(ref) };
}

/** The input options every analysis command takes: `-f` (repeatable), `-R`, `--config`. */
export function addInputOptions(cmd: Command): Command {
  return cmd
    .option('-f, --filename <path>', 'resources from a file, a folder of .yaml/.yml/.json files, or - for standard input (repeatable); default: the configured datastore', collect)
    .option('-R, --recursive', 'also read the subfolders of folders given with -f', false)
    .option('-c, --config <file>', 'calicoctl configuration for the datastore (used without -f; default as calicoctl: /etc/calico/calicoctl.cfg, the environment, then the running cluster of --data-dir)')
    .option('--data-dir <dir>', `the cluster to read without -f and -c (default ${DATA_DIR_DOC})`)
    .option('--kubeconfig <file>', 'read a live Kubernetes cluster (read-only; the role it needs: tabby rbac) instead of -f or the datastore')
    .option('--context <name>', 'the kubeconfig context (default: its current-context)')
    .option('--chunk-size <n>', 'with --kubeconfig: list this many objects per request (default 500, as kubectl)', intOption(1, 100_000));
}

export function inputOptions(opts: unknown, command: string): InputOptions {
  return {
    files: stringList(opts, 'filename'),
    recursive: flag(opts, 'recursive'),
    config: stringOpt(opts, 'config'),
    dataDir: stringOpt(opts, 'dataDir'),
    kubeconfig: stringOpt(opts, 'kubeconfig'),
    context: stringOpt(opts, 'context'),
    chunkSize: typeof (opts as { chunkSize?: unknown } | undefined)?.chunkSize === 'number' ? (opts as { chunkSize: number }).chunkSize : undefined,
    command,
  };
}

/**
 * A locator for one YAML/JSON text (a flows or expectations file): field path → `file:line:col`
 * (the document start when the path is not in the file).
 */
export function yamlLocator(text: string, file: string): (path: FieldPath) => string {
  const lc = new LineCounter();
  let root: Node | undefined;
  try {
    const docs = parseAllDocuments(text.startsWith('\uFEFF') ? text.slice(1) : text, { lineCounter: lc, logLevel: 'silent' });
    root = Array.isArray(docs) ? ((docs[0]?.contents ?? undefined) as Node | undefined) : undefined;
  } catch {
    root = undefined;
  }
  return (path) => {
    const off = root === undefined ? undefined : _offsetOf(root, path.keys());
    const p = lc.linePos(off ?? 0);
    return `${file}:${p.line}:${p.col}`;
  };
}
