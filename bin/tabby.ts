#!/usr/bin/env node
/** @module The `tabby` executable: wires the process to main(argv, io). */
import { main } from '../src/cli/main.js';
import { nodeIo } from '../src/cli/node-io.js';

process.exitCode = await main(process.argv.slice(2), nodeIo);
