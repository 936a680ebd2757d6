/** `hcp-metrics-proxy generator`: writes the proxy configuration from the namespace's monitors (DESIGN §4). */
import { errorMessage } from '../common/errors.js';
import { commandFlags, type FlagSpecs } from '../common/flags.js';
import { createLogger, setLogLevel, type LogLevel } from '../common/log.js';
import { PROXY_PATHS, RUNTIME_OBJECTS } from '../infra/lib/names.js';
import { startProbeListener, type HealthListener } from '../common/health.js';
import { loadKubeConfig } from '../common/kubeconfig.js';
import type { Logger } from '../common/log.js';
import { CertificateManager } from './certs/manager.js';
import { ProblemReporter } from './events.js';
import { generateOnce, type GenerateOptions } from './generate.js';
import { GuestClient } from './guest/client.js';
import { managementBundleReader } from './guest/management-bundle.js';
import { guestSettings, type GuestSettings } from './guest/options.js';
import { GuestSync } from './guest/sync.js';
import { generatorHealthHandler } from './health.js';
import { servedMonitorGroups } from './inventory.js';
import { GeneratorMetrics } from './metrics.js';
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
  'route-host': { kind: 'string', help: "the Route host the proxy's serving certificate is issued for (with --manage-certs) and the guest PodMonitor's TLS server name (with --guest-kubeconfig)" },
  'guest-kubeconfig': { kind: 'string', help: "the hosted cluster's admin kubeconfig (re-read when it changes): keep the CA bundle ConfigMap and the PodMonitor in the guest" },
  'guest-namespace': { kind: 'string', help: 'guest namespace of the CA bundle ConfigMap and the PodMonitor', default: 'openshift-monitoring' },
  'guest-auth': { kind: 'string', help: "how the guest Prometheus authenticates: client-certificate (scrapeClass tls-client-certificate-auth), bearer-token, or auto: bearer-token with Secret hcp-metrics-proxy-prometheus-token when the guest namespace has it (the guest chart creates it in bearer-token mode), else client-certificate", default: 'auto' },
  'guest-token-secret': { kind: 'string', help: 'with --guest-auth bearer-token: the guest Secret (key token) the PodMonitor endpoints authenticate with' },
  'guest-sync': { kind: 'boolean', help: 'with --guest-kubeconfig: keep the guest objects (true), or remove the ones the generator created (false)', default: true },
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
  const guest = guestSettings(flags);
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
  const metrics = new GeneratorMetrics();
  const guestSync = guest ? startGuest(guest, opts, logger, metrics, () => certManager?.nudge()) : undefined;
  const certManager = flags['manage-certs']
    ? new CertificateManager({
        kubeConfig,
        namespace,
        routeHost: flags['route-host']!,
        logger: logger.child('certs'),
        // With guest sync on, leaves of a new CA also wait until the guest's bundle holds it.
        ...(guestSync && guest?.mode === 'sync' ? { trustGate: { name: 'guest cluster', trustedSince: (pem: string) => guestSync.sync.trustedSince(pem) } } : {}),
      })
    : undefined;
  if (certManager) metrics.watchRotation(() => certManager.rotationWaitingFor() !== undefined);

  if (flags.once) {
    await runOnce(opts, logger, certManager, guest, guestSync?.sync);
    guestSync?.client.stop();
    return;
  }
  await certManager?.start();
  const watch = new GeneratorWatch({
    ...opts,
    debounceMs: debounce * 1000,
    onGenerated: (r) => {
      metrics.generations.inc({ result: 'success' });
      guestSync?.sync.setPaths(r.paths);
    },
    onFailed: () => metrics.generations.inc({ result: 'error' }),
    // A deleted serving certificate or CA bundle is put back now, not at the next reconcile.
    onDeleted: (kind, name) => {
      if (certManager?.owns(kind, name)) certManager.nudge();
    },
    // A new CA bundle goes to the guest now, not at the next periodic pass.
    onChanged: (kind, name) => {
      if (kind === 'ConfigMap' && name === RUNTIME_OBJECTS.servingCaConfigMap) guestSync?.sync.nudge();
    },
  });
  await watch.start();
  guestSync?.sync.start();
  let health: HealthListener | undefined;
  if (flags['health-listen']) {
    // Probe-only and metrics: fixed limits (HEALTH_LISTENER_LIMITS) suit the kubelet and Prometheus, nothing to tune.
    health = await startProbeListener(
      flags['health-listen'],
      generatorHealthHandler(
        [
          { name: 'config', check: () => { const r = watch.ready(); return r.ok ? undefined : (r.reason ?? 'not ready'); } },
          ...(guestSync ? [{ name: 'guest-sync', informational: true, check: () => guestCheck(guestSync.sync, certManager) }] : []),
        ],
        metrics,
      ),
    );
  }
  logger.info('generator watching', { namespace, groups, ...(guest ? { guest: { namespace: guest.namespace, mode: guest.mode } } : {}) });
  const stop = (signal: string) => {
    logger.info('shutting down', { signal });
    watch.stop();
    certManager?.stop();
    guestSync?.sync.stop();
    guestSync?.client.stop();
    void health?.close();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function startGuest(guest: GuestSettings, opts: GenerateOptions, logger: Logger, metrics: GeneratorMetrics, onGuestBundle: () => void): { client: GuestClient; sync: GuestSync } {
  const glog = logger.child('guest');
  let sync: GuestSync | undefined;
  // New credentials deserve a pass now, not at the end of a backoff earned with the old ones.
  const client = new GuestClient({ kubeconfig: guest.kubeconfig, logger: glog, onReload: () => sync?.nudge(true) });
  client.start();
  sync = new GuestSync({
    client,
    objects: { namespace: guest.namespace, sourceNamespace: opts.namespace, routeHost: guest.routeHost, auth: guest.auth },
    readBundle: managementBundleReader(opts.kubeConfig, opts.namespace),
    mode: guest.mode,
    logger: glog,
    metrics,
    onGuestBundle,
  });
  return { client, sync };
}

/** The guest-sync readiness check (informational): the sync state, and a CA rotation waiting for the guest. */
function guestCheck(sync: GuestSync, certs: CertificateManager | undefined): string | undefined {
  const s = sync.status();
  const waiting = certs?.rotationWaitingFor();
  const reasons = [...(s.ok ? [] : [s.reason ?? 'failing']), ...(waiting ? [`CA rotation waits until the ${waiting} trusts the new CA`] : [])];
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/**
 * `--once`: certificates, configuration, then the guest. The guest comes last so a guest failure
 * never keeps the management side from being written; it still fails the Job (non-zero exit), whose
 * retry then repairs the guest.
 */
async function runOnce(opts: GenerateOptions, logger: Logger, certManager: CertificateManager | undefined, guest: GuestSettings | undefined, sync: GuestSync | undefined): Promise<void> {
  if (certManager) {
    // Learn what the guest bundle holds first: a CA rotation in progress waits for it.
    if (sync && guest?.mode === 'sync') await sync.reconcile().catch((err: unknown) => logger.warn('guest not reachable before the certificate pass', { error: errorMessage(err) }));
    const s = await certManager.reconcile();
    logger.info('certificates reconciled', { ...s });
  }
  const r = await generateOnce(opts);
  logger.info('done', { components: r.result.config.components.length, skipped: r.result.problems.length, configMap: r.configMap, secret: r.secret });
  if (!sync || !guest) return;
  try {
    sync.setPaths(r.paths);
    const g = guest.mode === 'sync' ? await sync.reconcile() : await sync.cleanup();
    for (const c of g.conflicts) logger.warn('guest object left alone', { conflict: c });
    logger.info(guest.mode === 'sync' ? 'guest synced' : 'guest objects removed', { namespace: guest.namespace, written: g.written, ...(g.pending.length > 0 ? { pending: g.pending } : {}) });
  } catch (err) {
    throw new Error(`the management side is written, but guest ${guest.mode === 'sync' ? 'sync' : 'cleanup'} failed: ${errorMessage(err)}`);
  }
}
