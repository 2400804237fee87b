/**
 * @module The PodRuntime port: what the API server needs from whatever runs pods (in Tabby,
 * the lab) to serve `pods/log`, `pods/exec` and `pods/attach` — the kubelet's part of those
 * requests. The API server never starts processes itself; `tabby up` plugs the lab in, and a
 * server without one answers these subresources with a Status saying why.
 */
import type { StoredObject } from '../datastore/index.js';

/** A running command inside a pod: its stdin, its output, its end. */
export interface PodSession {
  writeStdin(data: Uint8Array): void;
  closeStdin(): void;
  /** Terminal size (the resize channel); ignored without a tty. */
  resize(cols: number, rows: number): void;
  onStdout(cb: (data: Uint8Array) => void): void;
  onStderr(cb: (data: Uint8Array) => void): void;
  /** Resolves with the exit code (or a runtime error message) when the command ends. */
  readonly exit: Promise<{ readonly code: number; readonly message?: string }>;
  /** Ends the command (the client went away). */
  kill(): void;
}

/** Why the runtime cannot serve a request: becomes a Status with this code and reason. */
export interface RuntimeRefusal {
  readonly refused: true;
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

export interface LogChunk {
  readonly data: Uint8Array;
  /** Byte offset to read from next. */
  readonly next: number;
  /** Whether the container may still write (follow keeps reading while true). */
  readonly running: boolean;
}

export interface PodRuntime {
  /** The container's log from byte `offset` (bounded per call). */
  readLog(pod: StoredObject, container: string, offset: number): Promise<LogChunk | RuntimeRefusal>;
  /** Runs `argv` in the pod's container (kubectl exec). */
  exec(pod: StoredObject, container: string, argv: readonly string[], tty: boolean): Promise<PodSession | RuntimeRefusal>;
  /** Attaches to the container's main process (kubectl attach, kubectl run -i). */
  attach(pod: StoredObject, container: string, tty: boolean): Promise<PodSession | RuntimeRefusal>;
}

export const isRefusal = (v: unknown): v is RuntimeRefusal => typeof v === 'object' && v !== null && (v as { refused?: unknown }).refused === true;
