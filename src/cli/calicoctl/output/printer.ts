/**
 * @module calicoctl's resource printers (commands/common/printer.go): what `get` and `convert`
 * print for a result set. A result is one resource (a get by name) or one list object (a
 * get without names). YAML and JSON print a single result as itself and several as an array;
 * tables print one table per result, each followed by an empty line.
 */
import { tableFor } from './columns.js';
import { tabwrite } from './table.js';
import { toCalicoYaml } from './yaml.js';
import { toCalicoJson } from './json.js';

export type Printable = Readonly<Record<string, unknown>>;

export type OutputFormat =
  | { readonly type: 'yaml' }
  | { readonly type: 'json' }
  | { readonly type: 'table'; readonly wide: boolean; readonly printNamespace: boolean }
  | { readonly type: 'custom-columns'; readonly headings: readonly string[] };

/** A list result as calicoctl's `<Kind>List`. */
export function listObject(kind: string, apiVersion: string, items: readonly Printable[], resourceVersion: string): Printable {
  return { apiVersion, items, kind: `${kind}List`, metadata: { resourceVersion } };
}

const _isList = (p: Printable): boolean => Array.isArray(p['items']) && typeof p['kind'] === 'string' && p['kind'].endsWith('List');

function _table(p: Printable, headings: readonly string[] | undefined, wide: boolean, printNamespace: boolean): string {
  const list = _isList(p);
  const kind = String(p['kind'] ?? '').replace(list ? /List$/ : /$^/, '');
  const t = tableFor(kind);
  let cols = headings ?? (wide ? t.wide : t.ps);
  if (printNamespace && t.cells['NAMESPACE'] !== undefined && headings === undefined) cols = ['NAMESPACE', ...cols];
  const items = list ? (p['items'] as Printable[]) : [p];
  const rows = [cols, ...items.map((o) => cols.map((c) => t.cells[c]?.(o) ?? ''))];
  return `${tabwrite(rows)}\n`;
}

/** Renders results in a format; custom-columns headings must have been checked already. */
export function renderResults(format: OutputFormat, results: readonly Printable[]): string {
  switch (format.type) {
    case 'yaml':
      if (results.length === 0) return '[]\n';
      return toCalicoYaml(results.length === 1 ? results[0] : results);
    case 'json':
      if (results.length === 0) return 'null\n';
      return toCalicoJson(results.length === 1 ? results[0] : results);
    case 'table':
      return results.map((r) => _table(r, undefined, format.wide, format.printNamespace)).join('');
    case 'custom-columns':
      return results.map((r) => _table(r, format.headings, false, false)).join('');
  }
}
