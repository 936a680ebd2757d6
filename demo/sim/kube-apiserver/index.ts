/**
 * A small kube-apiserver for the demo and the tests: real API shapes over HTTPS. Resource kinds
 * (pods, monitors, Secrets, ...) register on the same router.
 */
export * from './server.js';
export * from './resources.js';
export { parseLabelSelector, matchesLabelSelector, type LabelRequirement } from './label-selector.js';
