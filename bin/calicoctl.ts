#!/usr/bin/env node
/** @module The `calicoctl` executable (placeholder until the calicoctl work lands). */
process.stderr.write('calicoctl: not implemented yet\n');
process.exitCode = 1;
