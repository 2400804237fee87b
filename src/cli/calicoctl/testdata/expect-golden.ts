/**
 * @module expectGolden(file, actual): compares with the golden file next to the tests;
 * `UPDATE_GOLDEN=1` writes it instead (review the diff, then commit).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenChecker } from '../../testdata/golden.js';

export const expectGolden = goldenChecker(dirname(fileURLToPath(import.meta.url)));
