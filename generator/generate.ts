/**
 * One generation: read the namespace, build the configuration, check it with the proxy's own
 * parser, write the Secret (files first, so a config never points at files that do not exist yet)
 * and then the ConfigMap, and report bad monitors.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { parseProxyConfig } from '../proxy/config/parse.js';
import type { ProxyConfig } from '../proxy/config/types.js';
import { servedPaths } from '../proxy/server/app.js';
import { buildProxyConfig, type BuildOptions, type BuildResult } from './build.js';
import type { ProblemReporter } from './events.js';
import { readInventory } from './inventory.js';
import type { OutputWriter, WriteResult } from './writer.js';

export const CONFIG_KEY = 'config.yaml';
export const SRE_CONFIG_KEY = 'sre-config.yaml';

export interface GenerateOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Monitor API groups to read (see servedMonitorGroups). */
  groups: readonly string[];
  outputConfigMap: string;
  outputSecret: string;
  build: BuildOptions;
  /** The SRE MetricsSet ConfigMap to copy into the output (its `config` key), when it exists. */
  sreConfigMap?: { namespace: string; name: string };
  writer: OutputWriter;
  reporter?: ProblemReporter;
  logger: Logger;
}

export interface GenerateResult {
  result: BuildResult;
  configYaml: string;
  /** The paths the proxy serves with this configuration (`/metrics/<component>[/<n>]`), as its GET /components lists them. */
  paths: string[];
  configMap: WriteResult;
  secret: WriteResult;
}

export class GeneratedConfigError extends Error {}

/** The configuration as YAML, in a stable order. */
export function renderConfig(result: BuildResult): string {
  return YAML.stringify(result.config, { lineWidth: 0 });
}

async function readSreConfig(opts: GenerateOptions): Promise<string | undefined> {
  if (!opts.sreConfigMap) return undefined;
  try {
    const cm = await opts.kubeConfig.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: opts.sreConfigMap.name, namespace: opts.sreConfigMap.namespace });
    return cm.data?.config;
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return undefined;
    throw err;
  }
}

export async function generateOnce(opts: GenerateOptions): Promise<GenerateResult> {
  const inv = await readInventory(opts.kubeConfig, opts.namespace, opts.groups);
  const result = buildProxyConfig(inv, opts.build);
  for (const w of result.warnings) opts.logger.warn(w);
  const configYaml = renderConfig(result);
  let parsed: ProxyConfig;
  try {
    parsed = parseProxyConfig(configYaml, { source: 'generated configuration', defaultNamespace: opts.namespace });
  } catch (err) {
    // A bug of ours, not of a monitor: write nothing rather than a config the proxy would reject.
    throw new GeneratedConfigError(`the generated configuration does not load: ${errorMessage(err)}`);
  }
  const sre = await readSreConfig(opts);
  const secret = await opts.writer.writeSecret(opts.outputSecret, result.files);
  const configMap = await opts.writer.writeConfigMap(opts.outputConfigMap, { [CONFIG_KEY]: configYaml, ...(sre !== undefined ? { [SRE_CONFIG_KEY]: sre } : {}) });
  const versions = new Map(inv.monitors.map((m) => [`${m.kind}/${m.group}/${m.object.metadata.name}`, m.object.metadata.resourceVersion ?? '']));
  await opts.reporter?.report(result.problems, versions);
  opts.logger.info('configuration generated', {
    components: result.config.components.map((c) => c.name),
    skipped: result.problems.map((p) => `${p.kind}/${p.name}: ${p.reason}`),
    configMap,
    secret,
  });
  return { result, configYaml, paths: servedPaths(parsed), configMap, secret };
}
