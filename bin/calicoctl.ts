#!/usr/bin/env node
/** @module The `calicoctl` executable: wires the process to calicoctlMain(argv, io). */
import { calicoctlMain } from '../src/cli/calicoctl/main.js';
import { nodeIo } from '../src/cli/node-io.js';

process.exitCode = await calicoctlMain(process.argv.slice(2), nodeIo);
