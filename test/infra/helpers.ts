/**
 * Test helpers for the manifests: synthesis, snapshots, and offline schema validation (built-in kinds with
 * kubernetes-models, custom resources with ajv against the CRDs' openAPIV3Schema).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { expect } from 'chai';
import { App, Chart, Testing } from 'cdk8s';
import { parseAllDocuments, stringify } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';

/** The repository root (tests run from build/test/infra). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SNAPSHOT_DIR = path.join(ROOT, 'test', 'infra', '__snapshots__');
export const EXAMPLE_CLUSTERS = path.join(ROOT, 'clusters.example.yaml');

// A synthesized Kubernetes object, loosely typed for assertions.
export type K8sObject = Record<string, any>;

export const NS = 'clusters-test';

/** A fresh chart with the HCP namespace, for constructing one construct in isolation. */
export function testChart(namespace: string | null = NS): Chart {
  return new Chart(Testing.app(), 'test', namespace === null ? {} : { namespace });
}

/** Synthesizes a chart into plain objects. */
export function synth(chart: Chart): K8sObject[] {
  return Testing.synth(chart) as K8sObject[];
}

/** Synthesizes every chart of an app, in order. */
export function synthApp(app: App): K8sObject[] {
  return app.charts.flatMap((c) => Testing.synth(c) as K8sObject[]);
}

export function toYaml(objects: K8sObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/**
 * Compares `objects` with test/infra/__snapshots__/<name>.yaml. A missing snapshot is written (and the
 * test passes) unless CI is set; UPDATE_SNAPSHOTS=1 rewrites them all.
 */
export function matchSnapshot(name: string, objects: K8sObject[]): void {
  const file = path.join(SNAPSHOT_DIR, `${name}.yaml`);
  const actual = toYaml(objects);
  if (process.env.UPDATE_SNAPSHOTS === '1' || (!fs.existsSync(file) && !process.env.CI)) {
    fs.mkdirSync(SNAPSHOT_DIR, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  if (!fs.existsSync(file)) expect.fail(`snapshot ${file} is missing (run the tests without CI set, or with UPDATE_SNAPSHOTS=1, and commit it)`);
  expect(actual, `snapshot ${name} differs; if the change is intended, rerun with UPDATE_SNAPSHOTS=1`).to.equal(fs.readFileSync(file, 'utf8'));
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const hit = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  expect(hit, `exactly one ${kind}${name ? ` ${name}` : ''}`).to.have.length(1);
  return hit[0]!;
}

export function all(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** Pod templates of all workloads (Deployments, Jobs). */
export function podSpecs(objects: K8sObject[]): { owner: string; labels: Record<string, string>; spec: K8sObject }[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
    .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, labels: o.spec.template.metadata?.labels ?? {}, spec: o.spec.template.spec }));
}

/** Whether a label selector (matchLabels only, as we use) selects these labels. */
export function selects(selector: K8sObject, labels: Record<string, string>): boolean {
  expect(selector.matchExpressions, 'selectors use matchLabels only').to.equal(undefined);
  const ml: Record<string, string> = selector.matchLabels ?? {};
  return Object.keys(ml).length > 0 && Object.entries(ml).every(([k, v]) => labels[k] === v);
}

// ---------------------------------------------------------------------------------------------------------
// Offline validation

const BUILTIN: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

/** The CRD files kept in the repository (crds/). */
export const CRD_FILES = ['route.openshift.io_routes.yaml', 'monitoring.coreos.com_servicemonitors.yaml', 'monitoring.coreos.com_podmonitors.yaml'];

type Schema = Record<string, unknown>;

/**
 * Makes an openAPIV3Schema strict the way `kubectl apply --validate=strict` is: unknown fields are errors
 * unless the schema preserves them. int-or-string becomes an explicit anyOf.
 */
function strictify(schema: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    // The API server reads an explicit null as "absent" (the Route CRD has `anyOf: null`); JSON Schema does not.
    if (v === null) continue;
    if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([p, s]) => [p, strictify(s)]));
    } else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && v && typeof v === 'object') {
      out[k] = strictify(v as Schema);
    } else if ((k === 'anyOf' || k === 'allOf' || k === 'oneOf') && Array.isArray(v)) {
      out[k] = v.map((s: Schema) => strictify(s));
    } else {
      out[k] = v;
    }
  }
  if (out.properties && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  if (out['x-kubernetes-int-or-string'] === true && out.type === undefined && out.anyOf === undefined) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  return out;
}

let crdValidators: Map<string, ValidateFunction> | undefined;

/** ajv validators per `apiVersion/kind`, compiled once from crds/. */
export function crdSchemaValidators(): Map<string, ValidateFunction> {
  if (crdValidators) return crdValidators;
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, strictTuples: false });
  for (const kw of ['x-kubernetes-int-or-string', 'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-validations', 'x-kubernetes-embedded-resource']) {
    ajv.addKeyword({ keyword: kw });
  }
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  const map = new Map<string, ValidateFunction>();
  for (const f of CRD_FILES) {
    const crd = parseAllDocuments(fs.readFileSync(path.join(ROOT, 'crds', f), 'utf8'))[0]!.toJS() as K8sObject;
    for (const v of crd.spec.versions as K8sObject[]) {
      if (!v.served) continue;
      map.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(strictify(v.schema.openAPIV3Schema as Schema)));
    }
  }
  crdValidators = map;
  return map;
}

/** The CEL rules of the Route CRD that apply to what we synthesize, checked by hand (ajv cannot run CEL). */
function routeCelRules(o: K8sObject): string[] {
  const errs: string[] = [];
  const tls = o.spec?.tls;
  if (tls?.termination === 'passthrough' && tls.insecureEdgeTerminationPolicy === 'Allow') errs.push('cannot have both spec.tls.termination: passthrough and spec.tls.insecureEdgeTerminationPolicy: Allow');
  if (tls?.certificate && tls.externalCertificate) errs.push('cannot have both spec.tls.certificate and spec.tls.externalCertificate');
  if (tls?.termination === 'passthrough' && o.spec?.httpHeaders) errs.push('header actions are not permitted when tls termination is passthrough');
  return errs;
}

/** Validates one object offline; returns the problems (empty when valid). */
export function validateObject(o: K8sObject): string[] {
  const key = `${o.apiVersion}/${o.kind}`;
  const where = `${key} ${o.metadata?.name}`;
  const Model = BUILTIN[key];
  if (Model) {
    try {
      new Model(o).validate();
      return [];
    } catch (err) {
      return [`${where}: ${(err as Error).message}`];
    }
  }
  const v = crdSchemaValidators().get(key);
  if (!v) return [`${where}: no validator for this kind (add it to test/infra/helpers.ts)`];
  const errs = v(o) ? [] : (v.errors ?? []).map((e) => `${where}: ${e.instancePath || '/'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
  if (o.kind === 'Route') errs.push(...routeCelRules(o).map((m) => `${where}: ${m}`));
  return errs;
}

export function expectAllValid(objects: K8sObject[]): void {
  expect(objects.length).to.be.greaterThan(0);
  const problems = objects.flatMap(validateObject);
  expect(problems, problems.join('\n')).to.deep.equal([]);
}

/** Asserts that `fn` throws an InvalidPropsError for `prop` whose message contains `fragment`. */
export function expectInvalidProps(fn: () => unknown, prop: string, fragment?: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected an InvalidPropsError for '${prop}'`).to.be.instanceOf(Error);
  const e = thrown as Error & { prop?: string };
  expect(e.name, e.message).to.equal('InvalidPropsError');
  expect(e.prop, e.message).to.equal(prop);
  expect(e.message).to.include(`'${prop}'`);
  if (typeof fragment === 'string') expect(e.message).to.include(fragment);
  else if (fragment) expect(e.message).to.match(fragment);
}
