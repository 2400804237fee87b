/**
 * @module `calicoctl version`: the client version, commit and build date (recorded by `npm run
 * build`; `unknown` when run from source), then the cluster's, read from the
 * datastore the configuration names (`Unable to retrieve Cluster Version or Type: ...` and
 * exit 1 when it cannot be reached).
 */
import { Command } from 'commander';
import { BUILD_INFO } from '../../../lib/index.js';
import { VERSION } from '../../version.js';
import type { CalicoctlContext } from '../context.js';
import { str, withConfig } from './_options.js';

type Opts = Record<string, unknown>;

export function versionCommand(ctx: CalicoctlContext): Command {
  return withConfig(new Command('version'))
    .description('Display the version of this binary.')
    .option('--poll <POLL>', 'ignored: Tabby reports the cluster version once')
    .action(async (o: Opts) => {
      const { io } = ctx;
      io.stdout(`Client Version:    v${VERSION}\n`);
      io.stdout(`Git commit:        ${BUILD_INFO.gitCommit}${BUILD_INFO.gitTreeState === 'dirty' ? ' (with local changes)' : ''}\n`);
      io.stdout(`Build date:        ${BUILD_INFO.buildDate}\n`);
      const conn = await ctx.connect(str(o, 'config'));
      if (!conn) return ctx.exit(1);
      try {
        await conn.datastore.list({ group: 'projectcalico.org', plural: 'tiers' });
      } catch (e) {
        io.stderr(`Unable to retrieve Cluster Version or Type: ${e instanceof Error ? e.message : String(e)}\n`);
        return ctx.exit(1);
      }
      const type = conn.config.spec.datastoreType === 'kubernetes' ? 'kdd' : (conn.config.spec.datastoreType ?? 'embedded');
      io.stdout(`Cluster Version:   v${VERSION}\n`);
      io.stdout(`Cluster Type:      tabby,${type}\n`);
      ctx.exit(0);
    });
}
