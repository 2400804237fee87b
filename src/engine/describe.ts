/**
 * @module One-line renderings of trace decisions, in the words the issue uses: `tier …, policy
 * …, rule N: Allow`, `end of tier …`, `no policy: profile …`, `failsafe …`.
 */
import type { Decision } from './types.js';

export function describeDecision(d: Decision): string {
  switch (d.kind) {
    case 'rule':
      return `tier ${d.tier}, policy ${d.policy}, rule ${d.ruleIndex}${d.ruleName !== undefined ? ` ${JSON.stringify(d.ruleName)}` : ''}: ${d.action}`;
    case 'endOfTier':
      return d.action === 'Deny' ? `end of tier ${d.tier}: Deny` : `end of tier ${d.tier}: Pass`;
    case 'profile':
      return `no policy: profile ${d.profile}, rule ${d.ruleIndex}: ${d.action}`;
    case 'noProfileMatch':
      return d.profiles.length === 0 ? 'no policy: no profiles: Deny' : `no policy: no profile (${d.profiles.join(', ')}) allowed: Deny`;
    case 'failsafe':
      return `failsafe ${d.protocol.toLowerCase()}:${d.port}: Allow`;
    case 'default':
      return `${d.reason}${d.action === 'Continue' ? '' : `: ${d.action}`}`;
    default: {
      const never: never = d;
      return String(never);
    }
  }
}
