/** `hcp-metrics-proxy generator`: writes the proxy configuration from the namespace's monitors (DESIGN §4). */
import { errorMessage } from '../common/errors.js';
import { commandFlags, type FlagSpecs } from '../common/flags.js';
import { createLogger, setLogLevel, type LogLevel } from '../common/log.js';
import { PROXY_PATHS, RUNTIME_OBJECTS } from '../infra/lib/names.js';
import { startHealthListener, type HealthListener } from '../common/health.js';
import { loadKubeConfig } from '../common/kubeconfig.js';
import { CertificateManager } from './certs/manager.js';
import { ProblemReporter } from './events.js';
import { generateOnce, type GenerateOptions } from './generate.js';
import { servedMonitorGroups } from './inventory.js';
import { GeneratorWatch } from './watch.js';
import { OutputWriter } from './writer.js';

export const generatorFlags = {
  namespace: { kind: 'string', help: 'the hosted control plane namespace; default $MY_NAMESPACE (downward API)' },
  kubeconfig: { kind: 'string', help: 'kubeconfig of the management cluster; default the in-cluster service account' },
  once: { kind: 'boolean', help: 'generate, write and exit (a Job); non-zero exit with the reason on failure' },
  'output-configmap': { kind: 'string', help: 'ConfigMap the configuration is written to (key config.yaml)', default: RUNTIME_OBJECTS.proxyConfigMap },
  'output-secret': { kind: 'string', help: 'Secret the referenced TLS material is copied into', default: RUNTIME_OBJECTS.upstreamTlsSecret },
  'tls-mount-dir': { kind: 'string', help: 'where the proxy mounts the output Secret (the config points at files there)', default: PROXY_PATHS.upstream },
  'resolver-url': { kind: 'string', help: 'endpoint resolver URL written into the config; default https://endpoint-resolver.NAMESPACE.svc' },
  'resolver-client-dir': { kind: 'string', help: "where the proxy mounts its resolver client certificate (tls.crt, tls.key, ca.crt)", default: PROXY_PATHS.resolverClient },
  'sre-configmap': { kind: 'string', help: "NAMESPACE/NAME of the SRE MetricsSet ConfigMap to copy into the output (key config → sre-config.yaml); default NAMESPACE/sre-metric-set, '' disables" },
  debounce: { kind: 'seconds', help: 'quiet time after a change before regenerating, watch mode (seconds or a duration such as 500ms)', default: 1 },
  'health-listen': { kind: 'string', help: 'plain-HTTP address for /healthz and /readyz (watch mode; probe-only limits: 10 s header and request timeouts, 5 s idle, 64 connections, 16 per source); none by default' },
  'manage-certs': { kind: 'boolean', help: 'also issue and rotate the CA, serving and client certificates' },
  'route-host': { kind: 'string', help: "the Route host the proxy's serving certificate is issued for (with --manage-certs)" },
  'log-level': { kind: 'string', help: 'debug, info, warn or error', default: 'info' },
} satisfies FlagSpecs;

export async function runGenerator(argv: string[]): Promise<void> {
  const flags = commandFlags('generator', argv, generatorFlags);
  if (!flags) return;
  setLogLevel(flags['log-level'] as LogLevel);
  const logger = createLogger('generator');
  const namespace = flags.namespace ?? process.env.MY_NAMESPACE;
  if (!namespace) throw new Error('no namespace: give --namespace or set MY_NAMESPACE');
  if (flags['manage-certs'] && !flags['route-host']) throw new Error('--manage-certs needs --route-host HOST (the serving certificate is issued for it)');
  const debounce = flags.debounce!;
  if (!(debounce >= 0)) throw new Error(`--debounce must be a number of seconds ≥ 0, not ${debounce}`);
  let sreConfigMap: GenerateOptions['sreConfigMap'];
  const sre = flags['sre-configmap'] ?? `${namespace}/${RUNTIME_OBJECTS.sreMetricSetConfigMap}`;
  if (sre !== '') {
    const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(sre);
    if (!m) throw new Error(`--sre-configmap must be NAMESPACE/NAME, not "${sre}"`);
    sreConfigMap = { namespace: m[1]!, name: m[2]! };
  }
  const kubeConfig = loadKubeConfig(flags.kubeconfig);
  const clientDir = flags['resolver-client-dir']!.replace(/\/+$/, '');
  const groups = await servedMonitorGroups(kubeConfig).catch((err: unknown) => {
    throw new Error(`cannot discover the monitoring API groups: ${errorMessage(err)}`);
  });
  if (groups.length === 0) throw new Error('the API server serves neither monitoring.coreos.com/v1 nor monitoring.rhobs/v1: install the prometheus-operator CRDs');
  const opts: GenerateOptions = {
    kubeConfig,
    namespace,
    groups,
    outputConfigMap: flags['output-configmap']!,
    outputSecret: flags['output-secret']!,
    build: {
      endpointResolver: { url: flags['resolver-url'] ?? `https://endpoint-resolver.${namespace}.svc`, caFile: `${clientDir}/ca.crt`, certFile: `${clientDir}/tls.crt`, keyFile: `${clientDir}/tls.key` },
      tlsMountDir: flags['tls-mount-dir']!,
    },
    ...(sreConfigMap ? { sreConfigMap } : {}),
    writer: new OutputWriter(kubeConfig, namespace),
    reporter: new ProblemReporter(kubeConfig, namespace, logger),
    logger,
  };
  const certManager = flags['manage-certs'] ? new CertificateManager({ kubeConfig, namespace, routeHost: flags['route-host']!, logger: logger.child('certs') }) : undefined;

  if (flags.once) {
    if (certManager) {
      const s = await certManager.reconcile();
      logger.info('certificates reconciled', { ...s });
    }
    const r = await generateOnce(opts);
    logger.info('done', { components: r.result.config.components.length, skipped: r.result.problems.length, configMap: r.configMap, secret: r.secret });
    return;
  }
  await certManager?.start();
  const watch = new GeneratorWatch({
    ...opts,
    debounceMs: debounce * 1000,
    // A deleted serving certificate or CA bundle is put back now, not at the next reconcile.
    onDeleted: (kind, name) => {
      if (certManager?.owns(kind, name)) certManager.nudge();
    },
  });
  await watch.start();
  let health: HealthListener | undefined;
  if (flags['health-listen']) {
    // Probe-only: fixed limits (HEALTH_LISTENER_LIMITS) suit the kubelet, nothing to tune.
    health = await startHealthListener(flags['health-listen'], () => {
      const r = watch.ready();
      return { ready: r.ok, ...(r.reason !== undefined ? { reason: r.reason } : {}) };
    });
  }
  logger.info('generator watching', { namespace, groups });
  const stop = (signal: string) => {
    logger.info('shutting down', { signal });
    watch.stop();
    certManager?.stop();
    void health?.close();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
