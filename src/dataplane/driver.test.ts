/**
 * The DataplaneDriver conformance suite (test/support/driver-conformance.ts) against both
 * drivers with fakes: FakeIptables + FakeIpset behind the iptables driver, FakeNft behind the
 * nft driver. The same suite runs against the kernel as root in driver-kernel.test.ts.
 */
import { FakeIpset, FakeIptables } from '../../test/fakes/index.js';
import { FakeNft } from '../../test/fakes/fake-nft.js';
import { iptablesTamper, iptablesView, nftTamper, nftView, runDriverConformance } from '../../test/support/driver-conformance.js';
import type { CommandRunner } from '../sys/index.js';
import { IptablesDriver } from './iptables/driver.js';
import { NftDriver } from './nft/driver.js';

runDriverConformance('iptables, fakes', (clock) => {
  const ips = new FakeIpset();
  const ipt = new FakeIptables({ ipsetExists: (n) => ips.sets.has(n) });
  const runner: CommandRunner = { run: (c) => (c.argv[0] === 'ipset' ? ips.run(c) : ipt.run(c)) };
  return Promise.resolve({
    driver: new IptablesDriver({ runner, clock }),
    view: () => iptablesView(runner),
    tamper: iptablesTamper(runner),
    cleanup: () => Promise.resolve(),
  });
});

runDriverConformance('nft, fakes', (clock) => {
  const nft = new FakeNft();
  return Promise.resolve({
    driver: new NftDriver({ runner: nft, clock }),
    view: () => nftView(nft),
    tamper: nftTamper(nft),
    cleanup: () => Promise.resolve(),
  });
});
