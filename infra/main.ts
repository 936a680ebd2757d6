/**
 * cdk8s entry point (`app` in cdk8s.yaml): synthesizes one chart per hosted cluster of the clusters file
 * (`<name>.k8s.yaml`) and one per enabled guest side (`<name>.guest.k8s.yaml`).
 *
 * Which clusters file: the first argument, else $HCP_CLUSTERS_FILE, else ./clusters.yaml, else (with a
 * warning, so a fresh clone can try it out) ./clusters.example.yaml. Output goes to $CDK8S_OUTDIR (set by
 * `cdk8s synth`), else dist/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildApp, ClustersFileError, DEFAULT_CLUSTERS_FILE, EXAMPLE_CLUSTERS_FILE } from './app.js';
import { InvalidPropsError } from './lib/errors.js';

export { DEFAULT_CLUSTERS_FILE, EXAMPLE_CLUSTERS_FILE };

function clustersFile(): string {
  const explicit = process.argv[2] ?? process.env.HCP_CLUSTERS_FILE;
  if (explicit) return explicit;
  if (fs.existsSync(DEFAULT_CLUSTERS_FILE) || !fs.existsSync(EXAMPLE_CLUSTERS_FILE)) return DEFAULT_CLUSTERS_FILE;
  console.error(`warning: ${DEFAULT_CLUSTERS_FILE} not found; synthesizing ${EXAMPLE_CLUSTERS_FILE}. Copy it to ${DEFAULT_CLUSTERS_FILE} and edit it for real clusters.`);
  return EXAMPLE_CLUSTERS_FILE;
}

function main(): void {
  const file = clustersFile();
  const app = buildApp(file);
  // When run by hand (not through `cdk8s synth`, which empties the output first), drop manifests of clusters
  // that left the file (guest files end in .k8s.yaml too), so dist/ is exactly the synthesized set.
  if (!process.env.CDK8S_OUTDIR && fs.existsSync(app.outdir)) {
    for (const f of fs.readdirSync(app.outdir)) if (f.endsWith(app.outputFileExtension)) fs.rmSync(path.join(app.outdir, f));
  }
  app.synth();
}

try {
  main();
} catch (err) {
  if (err instanceof ClustersFileError || err instanceof InvalidPropsError) {
    console.error(`synthesis failed: ${err.message}`);
  } else {
    console.error('synthesis failed:', err);
  }
  process.exitCode = 1;
}
