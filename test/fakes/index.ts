export * from './fake-iptables.js';
export * from './fake-ipset.js';
export { FakeClock } from '../../src/sys/clock.js';
