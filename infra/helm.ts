/**
 * `npm run synth:helm`: writes the Helm charts, with templates generated from the cdk8s constructs
 * (infra/chart/), and one values file per hosted cluster of the clusters file:
 *
 * - `<out>/hcp-metrics-proxy/`: the management side of one hosted cluster per release (HCP namespace);
 * - `<out>/hcp-metrics-proxy-guest/`: the guest side of one hosted cluster per release (guest cluster);
 * - `<out>/values/<name>.yaml`: the values of each clusters-file entry, for either chart.
 *
 * The plain manifests (`npm run synth`, dist/) are unaffected.
 *
 * Usage: node build/infra/helm.js <out-dir> [clusters-file]   (clusters file as for main.ts)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClustersFileError, DEFAULT_CLUSTERS_FILE, EXAMPLE_CLUSTERS_FILE, loadClustersFile } from './app.js';
import { DEFAULT_METADATA, type PackageInfo, writeCharts } from './chart/write-charts.js';
import { InvalidPropsError } from './lib/errors.js';

function readPackageJson(): PackageInfo {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as PackageInfo;
}

function clustersFile(arg: string | undefined): string {
  const explicit = arg ?? process.env.HCP_CLUSTERS_FILE;
  if (explicit) return explicit;
  if (fs.existsSync(DEFAULT_CLUSTERS_FILE) || !fs.existsSync(EXAMPLE_CLUSTERS_FILE)) return DEFAULT_CLUSTERS_FILE;
  console.error(`warning: ${DEFAULT_CLUSTERS_FILE} not found; writing values for ${EXAMPLE_CLUSTERS_FILE}.`);
  return EXAMPLE_CLUSTERS_FILE;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node build/infra/helm.js <out-dir> [clusters-file]');
    process.exitCode = 2;
  } else {
    try {
      const entries = loadClustersFile(clustersFile(process.argv[3]));
      const meta = {
        home: process.env.HCP_CHART_HOME ?? DEFAULT_METADATA.home,
        sources: process.env.HCP_CHART_SOURCES ? process.env.HCP_CHART_SOURCES.split(',') : DEFAULT_METADATA.sources,
      };
      const written = writeCharts(out, readPackageJson(), entries, meta);
      for (const c of written.charts) console.log(`chart ${c.name} in ${c.dir} (templates merged from ${c.variants} syntheses)`);
      for (const v of written.values) console.log(`values of ${v.cluster} in ${v.file}${v.guest ? ' (management and guest chart)' : ''}`);
    } catch (err) {
      if (err instanceof ClustersFileError || err instanceof InvalidPropsError) console.error(`synth:helm failed: ${err.message}`);
      else console.error('synth:helm failed:', err);
      process.exitCode = 1;
    }
  }
}
