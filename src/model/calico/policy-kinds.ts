/** @module (placeholder, filled in by the owning work item) */
import type { FragmentInfo, KindInfo } from '../kind-info.js';

export const KINDS: readonly KindInfo[] = [];
export const FRAGMENTS: readonly FragmentInfo[] = [];
