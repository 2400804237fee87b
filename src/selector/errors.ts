/**
 * @module SelectorParseError: the one error type the selector parser reports. It carries the
 * selector text and the 0-based offset (in UTF-16 code units) of the problem, so callers can
 * point at it (`column` is 1-based, for messages).
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
