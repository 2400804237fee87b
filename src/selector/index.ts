/**
 * @module PROVISIONAL CONTRACT — replaced by the real selector implementation.
 * The Calico selector language: parse, evaluate, print canonically, unique id, label prefixing.
 */
export class SelectorParseError extends Error {
  constructor(
    message: string,
    readonly selector: string,
    /** 0-based offset of the problem in the selector text. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'SelectorParseError';
  }
  /** 1-based column of the problem. */
  get column(): number {
    return this.offset + 1;
  }
}

export interface Selector {
  matches(labels: Readonly<Record<string, string>>): boolean;
  /** Calico's canonical string form. */
  toString(): string;
  /** `s:` + base64url(SHA-224(canonical)) */
  uniqueId(): string;
}

/** Throws SelectorParseError on bad input. */
export function parseSelector(text: string): Selector {
  throw new SelectorParseError('selector parser not built yet', text, 0);
}
