/** @module The scale simulation (`tabby sim`, bench/scale.bench.ts): many real agents, one machine. */
export { runSim, type SimOptions, type SimResult } from './run.js';
export { renderScaleSvg, type CurvePoint } from './plot.js';
