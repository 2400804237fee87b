export * from './result.js';
export * from './assert-never.js';
