/**
 * @module Test prerequisites (tools on PATH, root, network namespaces) and what a missing one
 * means: on a developer's machine the test is skipped with the reason (node's runner prints
 * it); under `CI=true` it is a failure naming what is missing — CI installs every tool the
 * tests use (.ci/run), so a missing one there is a broken machine or script, not a reason to
 * skip.
 *
 *   describe('kubectl against tabby server', { skip: requireTool('kubectl') }, …)
 *   const skip = required(await netnsSkipReason());
 *   const ulogd = toolInTest(t, 'ulogd');          // inside a test: undefined = skipped here
 *
 * Every lookup is one PATH search (src/sys/which.ts), so `PATH=… CI=true` hides a tool from the
 * check and from the code under test alike.
 */
import { test, type TestContext } from 'node:test';
import { findOnPath } from '../../src/sys/index.js';

/** Under CI (`CI=true`, as CI services set it), a missing prerequisite fails instead of skipping. */
export const inCi = (): boolean => process.env['CI'] === 'true' || process.env['CI'] === '1';

/** A required tool or privilege is missing where the tests must not skip (CI=true). */
export class MissingPrerequisiteError extends Error {
  constructor(reason: string) {
    super(`CI=true: ${reason} — under CI a missing tool or privilege is a failure, not a skip (.ci/run installs the tools)`);
    this.name = 'MissingPrerequisiteError';
  }
}

/** Where each tool comes from, for the message. */
const PACKAGE: Readonly<Record<string, string>> = {
  kubectl: 'it comes with the machine image',
  etcd: 'Debian package etcd-server',
  ulogd: 'Debian package ulogd2',
  chromium: 'Debian package chromium',
  ip: 'Debian package iproute2',
  iptables: 'Debian package iptables',
  'iptables-save': 'Debian package iptables',
  'iptables-restore': 'Debian package iptables',
  ipset: 'Debian package ipset',
  nft: 'Debian package nftables',
  conntrack: 'Debian package conntrack',
  git: 'Debian package git',
  setpriv: 'Debian package util-linux',
  npm: 'Node.js',
  'systemd-analyze': 'Debian package systemd',
};

/** The absolute path of `tool` on PATH, or undefined. */
export const toolPath = (tool: string): string | undefined => findOnPath(tool);

/** Why `tool` is unusable here (not on PATH), or undefined. */
export function toolMissing(tool: string): string | undefined {
  return findOnPath(tool) === undefined ? `${tool} is not on PATH (${PACKAGE[tool] ?? 'not installed'})` : undefined;
}

/**
 * A node:test `skip` value for a prerequisite: false when `reason` is empty (run), the reason
 * otherwise (skip, printed). Under CI=true a reason is a failure instead: a test named
 * `prerequisite: <reason>` is registered that fails with MissingPrerequisiteError (so the run
 * fails and its summary names what is missing), and the tests needing it are skipped rather
 * than run into the same wall.
 */
export function required(reason: string | undefined | false): string | false {
  if (reason === undefined || reason === false || reason === '') return false;
  if (!inCi()) return reason;
  const err = new MissingPrerequisiteError(reason);
  void test(`prerequisite: ${reason}`, () => {
    throw err;
  });
  return `${reason} (CI=true: failed as "prerequisite: ${reason}")`;
}

/** `required` for tools: the first missing one of `tools` is the reason. */
export function requireTool(...tools: string[]): string | false {
  for (const t of tools) {
    const why = toolMissing(t);
    if (why !== undefined) return required(why);
  }
  return false;
}

/**
 * For a check inside a running test that needs `tool`: its path, or — when missing — a failure
 * under CI=true; otherwise the test is marked skipped with the reason (`t.skip`: its other
 * checks still run and can still fail it) and undefined is returned, so the caller leaves that
 * check out.
 */
export function toolInTest(t: TestContext, tool: string, what = 'this check'): string | undefined {
  const p = findOnPath(tool);
  if (p !== undefined) return p;
  const why = `${toolMissing(tool)}: ${what} is left out`;
  if (inCi()) throw new MissingPrerequisiteError(why);
  t.skip(why);
  return undefined;
}

/** `toolInTest` for a reason that is not a tool (e.g. a missing bundle): false (and a failure under CI, a skip mark otherwise) when `reason` is set. */
export function requiredInTest(t: TestContext, reason: string | undefined): boolean {
  if (reason === undefined) return true;
  if (inCi()) throw new MissingPrerequisiteError(reason);
  t.skip(reason);
  return false;
}
