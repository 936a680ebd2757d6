/**
 * values.schema.json of both charts (JSON Schema draft-07, what Helm 3 validates values with): the rules the
 * constructs check that a schema can express, so `helm install/template/lint` reject a bad value naming its key
 * before anything renders. Patterns are RE2 (Go) compatible: no look-around.
 */
import { ANTI_AFFINITY_MODES, IMAGE_PULL_POLICIES } from '../lib/workload.js';
import { AUTH_MODES } from '../lib/metrics-proxy.js';
import { GENERATOR_MODES } from '../lib/config-generator.js';
import { MONITOR_KINDS } from '../lib/monitor.js';
import { METRICS_SETS } from '../lib/validate.js';
import type { Json } from './template-tree.js';

type Schema = { [k: string]: Json };

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dnsLabel: Schema = { type: 'string', maxLength: 63, pattern: `^${LABEL}$` };
const dnsSubdomain: Schema = { type: 'string', maxLength: 253, pattern: `^${LABEL}(\\.${LABEL})*$` };
/** As checkHostname: lower-case FQDN, at least two labels, no wildcard, port or trailing dot, not all-numeric TLD. */
const hostname: Schema = {
  type: 'string',
  description: 'a lower-case fully qualified DNS name (at least two labels), without scheme, port, path, wildcard or trailing dot',
  maxLength: 253,
  pattern: '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
  not: { pattern: '\\.[0-9]+$' },
};
const duration: Schema = { type: 'string', pattern: '^([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$' };
const optionalDuration: Schema = { anyOf: [{ type: 'string', maxLength: 0 }, { ...duration, minLength: 1 }] };
const quantity: Schema = { type: 'string', pattern: '^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$' };
const cpuMemory: Schema = { type: ['object', 'null'], additionalProperties: false, properties: { cpu: { anyOf: [quantity, { type: 'null' }] }, memory: { anyOf: [quantity, { type: 'null' }] } } };
const resources: Schema = { type: 'object', additionalProperties: false, properties: { requests: cpuMemory, limits: cpuMemory } };
const stringMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };
const LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
const LABEL_VALUE: Schema = { type: 'string', maxLength: 63, pattern: '^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$' };
/** Label keys and values (selectors). */
const labelMap: Schema = { type: 'object', propertyNames: { pattern: LABEL_KEY }, additionalProperties: LABEL_VALUE };
/** Labels of our objects: app.kubernetes.io/ keys are the constructs' own (they select the pods). */
const labels: Schema = { type: 'object', propertyNames: { pattern: LABEL_KEY, not: { pattern: '^app\\.kubernetes\\.io/' } }, additionalProperties: LABEL_VALUE };
const toleration: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { type: 'string' },
    operator: { enum: ['Exists', 'Equal'] },
    value: { type: 'string' },
    effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
    tolerationSeconds: { type: 'integer', minimum: 0 },
  },
};
const placement: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: { nodeSelector: labelMap, tolerations: { type: 'array', items: toleration }, priorityClassName: { anyOf: [{ type: 'string', maxLength: 0 }, dnsSubdomain] } },
};
const secretKey: Schema = { type: 'string', pattern: '^[-._a-zA-Z0-9]+$' };
const secretKeySelector: Schema = { type: 'object', additionalProperties: false, required: ['secret'], properties: { secret: dnsSubdomain, key: secretKey } };
/** Image reference pinned by tag or digest, as checkImage. */
const imageRef: Schema = {
  type: 'string',
  description: 'an image reference pinned by tag or digest, e.g. quay.io/org/hcp-metrics-proxy:0.1.0',
  pattern: '^[a-zA-Z0-9][-a-zA-Z0-9._/:]*[a-z0-9](:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$',
  anyOf: [{ pattern: ':[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' }, { pattern: '@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$' }],
};
const image: Schema = {
  oneOf: [
    imageRef,
    {
      type: 'object',
      additionalProperties: false,
      required: ['repository'],
      anyOf: [{ required: ['tag'] }, { required: ['digest'] }],
      properties: {
        repository: { type: 'string', pattern: '^[a-zA-Z0-9][-a-zA-Z0-9._/:]*[a-z0-9]$' },
        tag: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' },
        digest: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$' },
        pullPolicy: { enum: [...IMAGE_PULL_POLICIES] },
      },
    },
  ],
};
/** Items of comma-separated flags: no commas or whitespace. */
const flagItems = (minItems: number): Schema => ({ type: 'array', minItems, uniqueItems: true, items: { type: 'string', minLength: 1, pattern: '^[^,\\s]+$' } });
const replicas: Schema = { type: 'integer', minimum: 1, maximum: 50 };
/** replicas >= 2 unless `<section>.podDisruptionBudget` is false (a PDB with one replica blocks every drain). */
function pdbRule(section: string, atLeastTwo: Schema): Schema {
  return {
    if: { required: [section], properties: { [section]: { required: ['podDisruptionBudget'], properties: { podDisruptionBudget: { const: false } } } } },
    else: atLeastTwo,
  };
}
const TWO: Schema = { minimum: 2, description: 'a PodDisruptionBudget needs replicas >= 2; raise replicas or set podDisruptionBudget: false' };

const guest: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    namespace: dnsLabel,
    replicas,
    resources,
    placement,
    prometheusSelector: { ...labelMap, minProperties: 1 },
    prometheusNamespace: { anyOf: [{ type: 'string', maxLength: 0 }, dnsLabel] },
    prometheusServiceAccount: dnsSubdomain,
    authMode: { enum: ['', ...AUTH_MODES] },
    scrapeClass: { type: 'string', pattern: '^\\S+$' },
    sync: { type: 'boolean' },
    components: { type: 'array', uniqueItems: true, items: { type: 'string', maxLength: 253, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } },
    kubeconfig: secretKeySelector,
    networkPolicy: { type: 'boolean' },
  },
  allOf: [
    // Without guest sync the chart's PodMonitor needs the components; with it the generator lists them.
    {
      if: { required: ['enabled', 'sync'], properties: { enabled: { const: true }, sync: { const: false } } },
      then: { required: ['components'], properties: { components: { minItems: 1 } } },
    },
    {
      if: { required: ['enabled', 'sync'], properties: { enabled: { const: true }, sync: { const: true } } },
      then: { properties: { components: { maxItems: 0, description: 'only used with guest.sync: false' } } },
    },
  ],
};

/** The schema of one release's values (a clusters-file entry without `namespace`). */
export function valuesSchema(chart: string): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `Values of the ${chart} chart: one hosted cluster (the keys of a clusters-file entry; the namespace is the release's)`,
    type: 'object',
    additionalProperties: false,
    required: ['routeHost', 'image'],
    properties: {
      global: { type: 'object' },
      name: { anyOf: [{ type: 'string', maxLength: 0 }, dnsLabel], description: 'hosted cluster name (app.kubernetes.io/instance); default: the release name' },
      routeHost: hostname,
      image,
      imagePullPolicy: { enum: ['', ...IMAGE_PULL_POLICIES] },
      command: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      replicas,
      metricsSet: { enum: [...METRICS_SETS] },
      allowedSubjects: flagItems(1),
      authModes: { ...flagItems(1), items: { enum: [...AUTH_MODES] } },
      authorizeWithSar: { type: 'boolean' },
      tokenAudiences: flagItems(0),
      hostedKubeconfig: secretKeySelector,
      clientCA: {
        type: 'object',
        additionalProperties: false,
        properties: { configMap: dnsSubdomain, secret: dnsSubdomain, key: secretKey },
        not: { required: ['configMap', 'secret'] },
      },
      placement,
      labels,
      proxy: {
        type: 'object',
        additionalProperties: false,
        properties: { resources, podDisruptionBudget: { type: 'boolean' }, antiAffinity: { enum: [...ANTI_AFFINITY_MODES] }, routeLabels: labelMap, routeAnnotations: stringMap },
      },
      resolver: {
        type: 'object',
        additionalProperties: false,
        properties: { replicas, resources, podDisruptionBudget: { type: 'boolean' }, antiAffinity: { enum: [...ANTI_AFFINITY_MODES] }, staleAfter: optionalDuration },
      },
      generator: {
        type: 'object',
        additionalProperties: false,
        properties: { mode: { enum: [...GENERATOR_MODES] }, manageCerts: { type: 'boolean' }, resources, healthPort: { type: 'integer', minimum: 1, maximum: 65535 } },
      },
      networkPolicy: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          proxyIngressFrom: {
            type: 'array',
            items: { type: 'object', minProperties: 1, additionalProperties: false, properties: { podSelector: { type: 'object' }, namespaceSelector: { type: 'object' }, ipBlock: { type: 'object', required: ['cidr'] } } },
          },
          isolateGenerator: { type: 'boolean' },
        },
      },
      selfMonitor: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: { kind: { enum: [...MONITOR_KINDS] }, interval: { ...duration, minLength: 1 }, clientCertSecret: dnsSubdomain, labels: labelMap },
      },
      guest,
    },
    allOf: [
      pdbRule('proxy', { properties: { replicas: TWO } }),
      pdbRule('resolver', { properties: { resolver: { properties: { replicas: TWO } } } }),
      // Token audiences only apply to bearer tokens.
      {
        if: { required: ['tokenAudiences'], properties: { tokenAudiences: { minItems: 1 } } },
        then: { required: ['authModes'], properties: { authModes: { contains: { const: 'bearerToken' }, description: 'tokenAudiences only apply to bearerToken' } } },
      },
      // The guest Prometheus must use an auth mode the proxy accepts.
      ...AUTH_MODES.map((mode): Schema => ({
        if: { required: ['guest'], properties: { guest: { required: ['authMode'], properties: { authMode: { const: mode } } } } },
        then: { required: ['authModes'], properties: { authModes: { contains: { const: mode }, description: `guest.authMode ${mode} must be among authModes` } } },
      })),
      // A client CA is only used with clientCertificate.
      {
        if: { required: ['clientCA'], properties: { clientCA: { anyOf: [{ required: ['configMap'] }, { required: ['secret'] }] } } },
        then: { required: ['authModes'], properties: { authModes: { contains: { const: 'clientCertificate' }, description: 'clientCA is only used with clientCertificate' } } },
      },
      // clientCertificate needs the CA bundle client certificates must chain to.
      {
        if: { required: ['authModes'], properties: { authModes: { contains: { const: 'clientCertificate' } } } },
        then: { required: ['clientCA'], properties: { clientCA: { anyOf: [{ required: ['configMap'] }, { required: ['secret'] }] } } },
      },
    ],
  };
}
