export * from './resource-client.js';
export * from './errors.js';
export * from './admission.js';
