/** Loads the generator fixtures (multi-document YAML of real object shapes) into the in-repo kube-apiserver. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { FakeKubeApiserver, KubeObject } from '../support/fake-kube-apiserver.js';

export const FIXTURE_NS = 'clusters-example';

const TYPES: Record<string, string> = {
  ServiceMonitor: 'servicemonitors.monitoring.coreos.com',
  PodMonitor: 'podmonitors.monitoring.coreos.com',
  Service: 'services',
  Pod: 'pods',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
};

/** The source file (fixtures are not compiled, so read them from the source tree). */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../../test/fixtures/generator/${name}`, import.meta.url));
}

export function readFixture(name: string): KubeObject[] {
  return YAML.parseAllDocuments(readFileSync(fixturePath(name), 'utf8')).map((d) => d.toJSON() as KubeObject);
}

export function loadFixture(kas: FakeKubeApiserver, name: string, namespace = FIXTURE_NS): void {
  for (const o of readFixture(name)) {
    const type = TYPES[String(o.kind)];
    if (!type) throw new Error(`fixture ${name}: no store type for kind ${String(o.kind)}`);
    kas.resources.create(type, { ...o, metadata: { ...o.metadata, namespace } });
  }
}
