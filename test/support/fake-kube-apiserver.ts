/** The tests' kube-apiserver: the demo's simulated one (demo/sim/kube-apiserver), which the demo needs too. */
export * from '../../demo/sim/kube-apiserver/index.js';
