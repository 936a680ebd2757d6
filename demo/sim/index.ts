/** The simulated hosted control plane: exposition generators, pods, a static endpoint resolver. */
export * from './exposition/index.js';
export * from './pod.js';
export * from './static-resolver.js';
export * from './control-plane.js';
export { gzipBomb, oversizedBody, garbageBody, withInvalidUtf8, DEFAULT_BOMB_INFLATED_BYTES } from './faults.js';
