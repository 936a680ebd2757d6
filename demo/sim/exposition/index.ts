/** Deterministic exposition generators for the simulated control plane. */
export * from './format.js';
export { Prng, hashSeed } from './prng.js';
export { SIM_EPOCH_SECONDS } from './common.js';
export { renderKubeApiserverMetrics, REQUEST_DURATION_BUCKETS, type KubeApiserverOptions } from './kube-apiserver.js';
export { renderEtcdMetrics, etcdMemberId, type EtcdOptions } from './etcd.js';
export { renderKubeControllerManagerMetrics, type KubeControllerManagerOptions } from './kube-controller-manager.js';
export {
  renderGenericComponentMetrics,
  renderOpenMetricsComponentMetrics,
  type GenericComponentOptions,
  type OpenMetricsComponentOptions,
} from './generic.js';
