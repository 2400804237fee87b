/**
 * A YAML editor that validates as you type with the same decoder/validator the API server and
 * CLI use (parseManifests: located `file:line:col: path: message` errors).
 */
import { useMemo } from 'preact/hooks';
import { stringify } from 'yaml';
import { parseManifests, type ManifestResult } from '../../src/manifest/index.js';

export function validateText(text: string): ManifestResult {
  return parseManifests(text, 'editor.yaml');
}

/** YAML of an API object without server-managed noise. */
export function toYaml(o: unknown): string {
  const obj = JSON.parse(JSON.stringify(o)) as { metadata?: Record<string, unknown> };
  if (obj.metadata) {
    delete obj.metadata['managedFields'];
    delete obj.metadata['creationTimestamp'];
    delete obj.metadata['uid'];
    delete obj.metadata['generation'];
  }
  return stringify(obj, { lineWidth: 0 });
}

export function YamlEditor(props: { text: string; onText: (t: string) => void; testid?: string; rows?: number }) {
  const result = useMemo(() => validateText(props.text), [props.text]);
  const errors = [...result.errors, ...result.warnings];
  return (
    <div class="editor">
      <textarea
        spellcheck={false}
        rows={props.rows ?? 18}
        value={props.text}
        data-testid={props.testid ?? 'yaml-editor'}
        onInput={(e) => props.onText((e.target as HTMLTextAreaElement).value)}
      />
      <div class={errors.length === 0 ? 'valid' : 'invalid'} data-testid="validation">
        {result.errors.length === 0 ? (
          <span>
            ✓ valid: {result.resources.map((r) => `${r.resource.kind} ${r.resource.metadata?.namespace ? `${r.resource.metadata.namespace}/` : ''}${r.resource.metadata?.name ?? ''}`).join(', ') || 'no documents'}
          </span>
        ) : (
          <ul>
            {result.errors.map((e) => (
              <li class="error">{e.text}</li>
            ))}
          </ul>
        )}
        {result.warnings.length > 0 && (
          <ul>
            {result.warnings.map((e) => (
              <li class="warning">{e.text}</li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
