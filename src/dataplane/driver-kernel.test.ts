/**
 * The DataplaneDriver conformance suite (test/support/driver-conformance.ts) against the kernel,
 * as root: each test gets its own network namespace, where the iptables driver runs the real
 * iptables-restore/iptables-save and ipset, and the nft driver the real nft. The tampering uses
 * the same tools (`iptables -D/-F/-I`, `ipset del`, `nft flush|insert|delete element`). The
 * root namespace is only read, to prove it was not touched; every namespace is deleted in
 * `cleanup`, even on failure. Skipped without root or netns support (a failure under CI=true).
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { iptablesTamper, iptablesView, nftTamper, nftView, runDriverConformance } from '../../test/support/driver-conformance.js';
import { required } from '../../test/support/tools.js';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, nodeRunner } from '../sys/index.js';
import { IptablesDriver } from './iptables/driver.js';
import { NftDriver } from './nft/driver.js';

const skip = required(await netnsSkipReason());

/** The root namespace's rules and sets without counters and timestamps (read-only). */
async function rootRules(): Promise<string> {
  const parts: string[] = [];
  for (const argv of [['iptables-save'], ['ipset', 'list', '-name'], ['nft', 'list', 'tables']]) {
    const r = await nodeRunner.run({ argv, timeoutMs: 30_000 });
    parts.push(`${argv.join(' ')} ${r.code}\n${r.stdout.replace(/\[\d+:\d+\]/g, '').replace(/^#.*$/gm, '')}`);
  }
  return parts.join('\n');
}

let rootBefore = '';
before(async () => {
  if (skip === false) rootBefore = await rootRules();
});
after(async () => {
  if (skip === false) assert.equal(await rootRules(), rootBefore, 'the root namespace was not touched');
});

runDriverConformance(
  'iptables, kernel',
  async (clock) => {
    const ns = await createNetns('tby-dk');
    const runner = inNetns(nodeRunner, ns);
    return {
      driver: new IptablesDriver({ runner, clock }),
      view: () => iptablesView(runner),
      tamper: iptablesTamper(runner),
      cleanup: () => deleteNetns(ns),
    };
  },
  { skip },
);

runDriverConformance(
  'nft, kernel',
  async (clock) => {
    const ns = await createNetns('tby-dk');
    const runner = inNetns(nodeRunner, ns);
    return {
      driver: new NftDriver({ runner, clock }),
      view: () => nftView(runner),
      tamper: nftTamper(runner),
      cleanup: () => deleteNetns(ns),
    };
  },
  { skip },
);
