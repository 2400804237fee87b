/**
 * @module The list of `tabby` subcommands. To add one: write commands/<name>.ts exporting a
 * CommandFactory and add it here; main.ts wires output, errors and exit codes for all of them.
 */
import type { CommandFactory } from './context.js';
import { calicoctlCommand } from './calicoctl.js';
import { convertCommand } from './convert.js';
import { validateCommand } from './validate.js';
import { versionCommand } from './version.js';
import { serverCommand } from './server.js';
import { agentCommand } from './agent.js';
import { tokenCommand } from './token.js';
import { verdictCommand } from './verdict.js';
import { matrixCommand } from './matrix.js';
import { testCommand } from './test.js';
import { diffCommand } from './diff.js';
import { lintCommand } from './lint.js';
import { queryCommand } from './query.js';
import { labCommand } from './lab.js';
import { logsCommand } from './logs.js';
import { upCommand } from './up.js';
import { downCommand } from './down.js';
import { packCommand } from './pack.js';
import { snapshotCommand } from './snapshot.js';
import { rbacCommand } from './rbac.js';
import { dashboardCommand } from './dashboard.js';
import { flowsCommand } from './flows.js';
import { simCommand } from './sim.js';
import { recommendCommand } from './recommend.js';
import { promoteCommand } from './promote.js';

export const COMMANDS: readonly CommandFactory[] = [validateCommand, convertCommand, serverCommand, versionCommand, verdictCommand, matrixCommand, testCommand, diffCommand, agentCommand, lintCommand, queryCommand, calicoctlCommand, upCommand, downCommand, packCommand, labCommand, logsCommand, snapshotCommand, rbacCommand, dashboardCommand, recommendCommand, promoteCommand, simCommand, flowsCommand, tokenCommand];

export type { CommandContext, CommandFactory } from './context.js';
export { EXIT } from './context.js';
