export * from './result.js';
export * from './assert-never.js';
export * from './build-info.js';
export * from './prng.js';
