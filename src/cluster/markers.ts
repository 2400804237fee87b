/**
 * @module The labels and annotations Tabby puts on what a cluster profile, a pack or the host
 * endpoint controller creates (style habit 17: mark what we own). The provider marker itself
 * lives with the admission check in client/.
 */
export { MANAGED_BY_LABEL, PROVIDER, BREAKS_ANNOTATION, FORCE_ANNOTATION } from '../client/index.js';

/** Which cluster profile created the object (`ibm-classic`). */
export const PROFILE_LABEL = 'tabby.dev/profile';
/** Which policy pack created the object (`deny-nodeports`). */
export const PACK_LABEL = 'tabby.dev/pack';
/** Calico kube-controllers marks the host endpoints it creates this way. */
export const CREATED_BY_LABEL = 'projectcalico.org/created-by';
export const CREATED_BY_CONTROLLER = 'calico-kube-controllers';
/** Node annotation naming its interfaces and their addresses: `eth0=10.176.48.11,eth1=198.18.10.1`. */
export const INTERFACES_ANNOTATION = 'tabby.dev/interfaces';
