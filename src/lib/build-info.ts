/**
 * @module Which build this is: the git commit it was built from, whether the tree had local
 * changes, and when it was built. `npm run build` writes the real values into the compiled copy
 * (dist/src/lib/build-info.js, by scripts/build-info.mjs); run from source, the placeholders
 * below stay. Pure data: the CLI, the API server's `/version` and the dashboard read it.
 */
export interface BuildInfo {
  /** The full commit hash, or `unknown` (not built from a git checkout, or run from source). */
  readonly gitCommit: string;
  readonly gitTreeState: 'clean' | 'dirty' | 'unknown';
  /** RFC 3339 UTC, or `unknown`. Honours SOURCE_DATE_EPOCH for reproducible builds. */
  readonly buildDate: string;
}

export const BUILD_INFO: BuildInfo = { gitCommit: 'unknown', gitTreeState: 'unknown', buildDate: 'unknown' };
