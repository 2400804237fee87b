/**
 * @module Multi-document YAML/JSON manifests with located errors: every resource in a file,
 * decoded, defaulted and validated, or every problem as `file:line:col: path: message`.
 * Pure: takes text, returns data (file reading lives in the CLI).
 *
 * Everything people export is read: `kind: List` and typed lists (`kubectl get -o yaml/json`,
 * `calicoctl get -o yaml`), Helm-rendered multi-document files, `calicoctl datastore migrate
 * export` dumps, and `crd.projectcalico.org/v1` objects as Calico's Kubernetes datastore keeps
 * them, normalised into `projectcalico.org/v3` (model/convert/crd-import.ts).
 */
import { decodeImported } from '../model/convert/crd-import.js';
import { readExportDump } from './calicoctl-export.js';
import { parseManifestsWith } from './parse.js';
import type { LocatedResource, ManifestResult } from './types.js';

export type { Location, LocatedError, LocatedResource, ManifestResult } from './types.js';
export type { DecodeFn } from './hints.js';
export { parseManifestsWith } from './parse.js';
export { readExportDump } from './calicoctl-export.js';

/**
 * Parses every document of a YAML or JSON file through the kind registry. Never throws.
 * A resource read from `crd.projectcalico.org/v1` has `raw` in its `projectcalico.org/v3` form
 * (what `calicoctl apply` sends); its location is where the custom resource stands in the file.
 */
export function parseManifests(text: string, filename: string): ManifestResult {
  const dump = readExportDump(text);
  const r = parseManifestsWith(dump.text, filename, decodeImported);
  const resources = r.resources.map((res): LocatedResource => {
    const n = (res as { normalised?: unknown }).normalised;
    if (n === undefined) return res;
    const { normalised: _n, ...rest } = res as LocatedResource & { normalised?: unknown };
    return { ...rest, raw: n };
  });
  if (dump.ipamLine === undefined) return { ...r, resources };
  const location = { file: filename, line: dump.ipamLine, col: 1 };
  const note = `${filename}:${dump.ipamLine}:1: skipped the IPAM section of this calicoctl export (only \`calicoctl datastore migrate import\` reads it)`;
  return { ...r, resources, warnings: [...r.warnings, { location, doc: -1, text: note }] };
}
