/**
 * The cdk8s app: reads a clusters file and adds one {@link HostedClusterMetrics} chart per hosted cluster.
 *
 * Clusters file (YAML):
 *
 * ```yaml
 * defaults:            # optional; merged under every entry (mappings deeply, lists and scalars replaced)
 *   image: quay.io/org/hcp-metrics-proxy:0.1.0
 * clusters:
 *   - name: prod-east-1                       # HostedClusterMetricsProps, key for key
 *     namespace: clusters-prod-east-1
 *     routeHost: metrics-proxy-prod-east-1.apps.mgmt.example.com
 * ```
 *
 * An entry with `guest.enabled: true` also gets a {@link HostedClusterGuest} chart for the guest cluster.
 *
 * Every problem is reported as a {@link ClustersFileError} naming the file, the entry and the key.
 */
import * as fs from 'node:fs';
import { App, type AppProps } from 'cdk8s';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { InvalidPropsError } from './lib/errors.js';
import { guestEnabled, HostedClusterGuest } from './lib/hosted-cluster-guest.js';
import { HostedClusterMetrics, type HostedClusterMetricsProps } from './lib/hosted-cluster-metrics.js';

export const DEFAULT_CLUSTERS_FILE = 'clusters.yaml';
export const EXAMPLE_CLUSTERS_FILE = 'clusters.example.yaml';

/** A clusters file problem: `file:line: entry: key 'k': detail`. */
export class ClustersFileError extends Error {
  override name = 'ClustersFileError';

  constructor(
    readonly file: string,
    /** e.g. `clusters[1] (prod-east-1)`, or `defaults`; undefined for file-level problems. */
    readonly entry: string | undefined,
    /** Key path inside the entry, e.g. `resolver.replicas`. */
    readonly key: string | undefined,
    readonly detail: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${entry ? `${entry}: ` : ''}${key ? `key '${key}': ` : ''}${detail}`);
  }
}

/** One validated entry of the clusters file, defaults applied. */
export interface ClusterEntry {
  readonly index: number;
  readonly props: HostedClusterMetricsProps;
}

const UNIQUE_PER_CLUSTER = ['name', 'namespace', 'routeHost'];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Mappings merge key by key (the entry wins); lists and scalars are replaced. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/** `a.b[2].c` -> ['a', 'b', 2, 'c'] */
function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/** Reads and validates a clusters file. Throws ClustersFileError. */
export function loadClustersFile(file: string): ClusterEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ClustersFileError(file, undefined, undefined, `cannot read the clusters file: ${(err as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ClustersFileError(file, undefined, undefined, `not valid YAML: ${e.message.split('\n')[0]}`, e.linePos?.[0].line);
  }
  const lineOf = (path: (string | number)[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const root: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isPlainObject(root)) throw new ClustersFileError(file, undefined, undefined, "must be a mapping with a 'clusters' list (and optionally 'defaults')", 1);
  for (const k of Object.keys(root)) {
    if (k !== 'clusters' && k !== 'defaults') throw new ClustersFileError(file, undefined, k, "unknown top-level key; use 'clusters' and optionally 'defaults'", lineOf([k]));
  }
  const defaults = root.defaults ?? {};
  if (!isPlainObject(defaults)) throw new ClustersFileError(file, 'defaults', undefined, 'must be a mapping', lineOf(['defaults']));
  for (const k of UNIQUE_PER_CLUSTER) {
    if (k in defaults) throw new ClustersFileError(file, 'defaults', k, 'differs per hosted cluster and cannot have a default', lineOf(['defaults', k]));
  }
  if (!isSeq(doc.get('clusters', true)) || !Array.isArray(root.clusters) || root.clusters.length === 0) {
    throw new ClustersFileError(file, undefined, 'clusters', 'must be a non-empty list of hosted clusters', lineOf(['clusters']));
  }

  const seen = new Map<string, Map<unknown, string>>(UNIQUE_PER_CLUSTER.map((k) => [k, new Map()]));
  return (root.clusters as unknown[]).map((raw, index) => {
    const label = isPlainObject(raw) && typeof raw.name === 'string' ? `clusters[${index}] (${raw.name})` : `clusters[${index}]`;
    if (!isPlainObject(raw) || !isMap(doc.getIn(['clusters', index], true))) {
      throw new ClustersFileError(file, label, undefined, 'must be a mapping (name, namespace, routeHost, image, ...)', lineOf(['clusters', index]));
    }
    for (const k of UNIQUE_PER_CLUSTER) {
      if (raw[k] === undefined) throw new ClustersFileError(file, label, k, 'is required', lineOf(['clusters', index]));
      const other = seen.get(k)!.get(raw[k]);
      if (other !== undefined) throw new ClustersFileError(file, label, k, `${JSON.stringify(raw[k])} is already used by ${other}; it must be unique`, lineOf(['clusters', index, k]));
      seen.get(k)!.set(raw[k], label);
    }
    const props = deepMerge(defaults, raw) as unknown as HostedClusterMetricsProps;
    // Validate by constructing the charts in a scratch app; errors come back with the key path.
    try {
      new HostedClusterMetrics(new App({ outdir: '.' }), props);
      if (guestEnabled(props)) new HostedClusterGuest(new App({ outdir: '.' }), props);
    } catch (err) {
      if (!(err instanceof InvalidPropsError)) throw err;
      const path = splitPath(err.prop);
      const inEntry = doc.hasIn(['clusters', index, ...path]) || !doc.hasIn(['defaults', ...path]);
      const where = inEntry ? ['clusters', index, ...path] : ['defaults', ...path];
      const from = inEntry ? '' : ' (inherited from defaults)';
      throw new ClustersFileError(file, label, err.prop, `${err.detail}${from}`, lineOf(where));
    }
    return { index, props };
  });
}

/** Output file extension of the guest charts: `<name>.guest.k8s.yaml` beside `<name>.k8s.yaml`. */
export const GUEST_FILE_EXTENSION = '.guest.k8s.yaml';

/**
 * The app of a clusters file: its own charts are the management side (one per hosted cluster); `guest` holds
 * the guest charts, a second App writing into the same directory, so each guest chart can be named after its
 * cluster and still get a file of its own. `synth()` writes both.
 */
export class ClustersApp extends App {
  readonly guest: App;

  constructor(props: AppProps = {}) {
    super(props);
    this.guest = new App({ ...props, outdir: this.outdir, outputFileExtension: GUEST_FILE_EXTENSION });
  }

  override synth(): void {
    super.synth();
    if (this.guest.charts.length > 0) this.guest.synth();
  }
}

/** Builds the app for a clusters file: one HostedClusterMetrics chart per entry and a HostedClusterGuest chart per enabled guest side, in file order. */
export function buildApp(file: string, appProps: AppProps = {}): ClustersApp {
  const entries = loadClustersFile(file);
  const app = new ClustersApp(appProps);
  for (const e of entries) {
    new HostedClusterMetrics(app, e.props);
    if (guestEnabled(e.props)) new HostedClusterGuest(app.guest, e.props);
  }
  return app;
}
