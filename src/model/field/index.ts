export * from './path.js';
export * from './errors.js';
export * from './format.js';
