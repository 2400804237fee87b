/**
 * @module The resources a command acts on, as calicoctl finds them: from `-f` files (every
 * document, in order; an invalid document stays in its place as a failure with its location,
 * so nothing of it is written and the others still are), or from `<KIND> [<NAME>...]` on the
 * command line (kind aliases as calicoctl accepts them, case-insensitive). Then calicoctl's
 * namespace rules (handleNamespace) for each.
 */
import { parseAllDocuments } from 'yaml';
import type { KindInfo } from '../../model/kind-info.js';
import type { DecodedResource } from '../../model/validate-resource.js';
import { kindByAlias } from '../../model/kinds.js';
import { readManifests } from '../input/read-manifests.js';
import type { Io } from '../io.js';

export const CALICO_GROUP = 'projectcalico.org';

type Obj = Record<string, unknown>;

export interface Target {
  readonly info: KindInfo;
  /** The object to send, as read (apiVersion, kind, metadata, spec...). */
  readonly obj: Obj;
  /** `obj` decoded, defaulted and validated when it was read (from files), so writes skip doing it again. */
  readonly decoded?: DecodedResource;
}

export type Item =
  | { readonly ok: true; readonly kind: string; readonly target: Target }
  | { readonly ok: false; readonly kind: string; readonly error: string };

export interface Loaded {
  readonly items: readonly Item[];
  /** A file could not be read: calicoctl's `Failed to execute command: ...`. */
  readonly fileInvalid?: string;
  /** No resources, or an unknown kind: printed as is. */
  readonly err?: string;
  /** Resources named on the command line are always one kind. */
  readonly fromArgs: boolean;
}

const _isCalicoKind = (info: KindInfo): boolean => info.group === CALICO_GROUP && info.kind !== 'CalicoAPIConfig';

/** The `kind` of each document of a file (to name it in messages when it is invalid). */
async function _docKinds(io: Io, name: string): Promise<string[]> {
  try {
    const text = name === '<stdin>' ? await io.readStdin() : await io.readFile(name);
    return parseAllDocuments(text).flatMap((d) => (Array.isArray(d) ? [] : [d])).map((d) => {
      const k: unknown = d.get('kind');
      return typeof k === 'string' ? k : '';
    });
  } catch {
    return [];
  }
}

/** Every document of the `-f` inputs, valid or not, in file and document order. */
export async function loadFromFiles(io: Io, files: readonly string[], recursive: boolean, skipEmpty: boolean): Promise<Loaded> {
  const read = await readManifests(io, files, recursive);
  if (read.problems.length > 0) return { items: [], fileInvalid: read.problems.map((p) => `open ${p}`).join('; '), fromArgs: false };
  const items: Item[] = [];
  for (const f of read.files) {
    const docs = new Map<number, Item[]>();
    const add = (doc: number, item: Item): void => void docs.set(doc, [...(docs.get(doc) ?? []), item]);
    const errorsByDoc = new Map<number, string[]>();
    for (const e of [...f.result.errors]) errorsByDoc.set(e.doc, [...(errorsByDoc.get(e.doc) ?? []), e.text]);
    for (const r of f.result.resources) {
      if (errorsByDoc.has(r.doc)) continue;
      const raw = r.raw as Obj;
      const kind = r.info.kind;
      if (!_isCalicoKind(r.info)) {
        const where = `${r.location.file}:${r.location.line}:${r.location.col}`;
        add(r.doc, { ok: false, kind, error: `${where}: Unknown resource type (${kind}) and/or version (${String(raw['apiVersion'])}); use kubectl for Kubernetes resources` });
        continue;
      }
      add(r.doc, { ok: true, kind, target: { info: r.info, obj: raw, decoded: { info: r.info, resource: r.resource } } });
    }
    const kinds = errorsByDoc.size > 0 ? await _docKinds(io, f.name) : [];
    for (const [doc, texts] of errorsByDoc) add(doc, { ok: false, kind: kinds[doc] ?? '', error: texts.join(', ') });
    const ordered = [...docs.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, v]) => v);
    if (ordered.length === 0 && !skipEmpty) return { items: [], err: `No resources specified in file ${f.name}`, fromArgs: false };
    items.push(...ordered);
  }
  return { items, fromArgs: false };
}

/** Looks up a kind as calicoctl accepts it on the command line. */
export function calicoKind(alias: string): KindInfo | undefined {
  const info = kindByAlias(alias, CALICO_GROUP);
  return info && _isCalicoKind(info) ? info : undefined;
}

/** `<KIND> [<NAME>...]`; no names means one unnamed item (a list, for get). */
export function loadFromArgs(kindArg: string, names: readonly string[]): Loaded {
  const info = calicoKind(kindArg);
  if (!info) return { items: [], err: `resource type '${kindArg}' is not supported`, fromArgs: true };
  const list = names.length === 0 ? [''] : names;
  if (names.some((n) => n === '')) return { items: [], err: 'resource name may not be empty', fromArgs: true };
  return {
    items: list.map((name) => ({
      ok: true as const,
      kind: info.kind,
      target: { info, obj: { apiVersion: `${info.group}/${info.version}`, kind: info.kind, metadata: name === '' ? {} : { name } } },
    })),
    fromArgs: true,
  };
}

export interface NamespaceFlags {
  readonly namespace: string | undefined;
  readonly allNamespaces: boolean;
}

/**
 * calicoctl's handleNamespace: fills in `-n` or `default` for namespaced kinds, clears it for
 * `-A`, and rejects namespaces on cluster-scoped kinds. Returns the adjusted object or an error.
 */
export function withNamespace(t: Target, flags: NamespaceFlags): { ok: true; obj: Obj } | { ok: false; error: string } {
  const meta = typeof t.obj['metadata'] === 'object' && t.obj['metadata'] !== null ? (t.obj['metadata'] as Obj) : {};
  const resNs = typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
  const cliNs = flags.namespace ?? '';
  const all = flags.allNamespaces;
  const set = (ns: string): { ok: true; obj: Obj } => ({ ok: true, obj: { ...t.obj, metadata: { ...meta, namespace: ns } } });
  if (t.info.namespaced) {
    if (all && cliNs !== '') return { ok: false, error: 'cannot use both --namespace and --all-namespaces flags at the same time' };
    if (resNs === '' && cliNs !== '') return set(cliNs);
    if (resNs !== '' && all) return set('');
    if (resNs === '' && all) return { ok: true, obj: t.obj };
    if (resNs === '' && cliNs === '') return set('default');
    if (resNs !== '' && cliNs === '') return { ok: true, obj: t.obj };
    if (resNs !== cliNs) return { ok: false, error: `resource namespace does not match client namespace. ${resNs} != ${cliNs}` };
    return { ok: true, obj: t.obj };
  }
  if (resNs !== '') return { ok: false, error: `namespace should not be specified for a non-namespaced resource. ${t.info.kind} is not a namespaced resource` };
  if (all || cliNs !== '') return { ok: false, error: `${t.info.kind} is not namespaced` };
  return { ok: true, obj: t.obj };
}

export const nameOf = (obj: Obj): string => {
  const m = obj['metadata'];
  return typeof m === 'object' && m !== null && typeof (m as Obj)['name'] === 'string' ? ((m as Obj)['name'] as string) : '';
};

export const namespaceOf = (obj: Obj): string | undefined => {
  const m = obj['metadata'];
  const ns = typeof m === 'object' && m !== null ? (m as Obj)['namespace'] : undefined;
  return typeof ns === 'string' && ns !== '' ? ns : undefined;
};

/** The kind to name in messages when every resource is of one kind, else ''. */
export function singleKind(loaded: Loaded): string {
  const kinds = new Set(loaded.items.map((i) => i.kind).filter((k) => k !== ''));
  if (loaded.fromArgs || (kinds.size === 1 && loaded.items.every((i) => i.kind !== ''))) return [...kinds][0] ?? '';
  return '';
}
