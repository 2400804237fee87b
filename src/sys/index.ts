export * from './exec.js';
export * from './clock.js';
export * from './netns.js';
export * from './pid.js';
export * from './which.js';
