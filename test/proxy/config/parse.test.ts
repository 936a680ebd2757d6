import { expect } from 'chai';
import YAML from 'yaml';
import { ConfigError } from '../../../common/errors.js';
import { parseProxyConfig, type ParseOptions } from '../../../proxy/config/parse.js';
import type { ProxyConfig } from '../../../proxy/config/types.js';

const opts: ParseOptions = { source: 'cfg.yaml', defaultNamespace: 'clusters-demo' };

/** DESIGN.md §4, with a relabeling rule so compilation is exercised. */
const DESIGN_EXAMPLE = `
endpointResolver: {url: https://endpoint-resolver.clusters-demo.svc, caFile: /etc/er/ca.crt, certFile: /etc/er/tls.crt, keyFile: /etc/er/tls.key}
components:
- name: kube-apiserver            # URL segment = monitor name
  selector: {app: kube-apiserver}
  metricsPort: 6443
  metricsPath: /metrics
  metricsScheme: https            # http|https
  tlsServerName: kube-apiserver
  caFile: /etc/metrics-proxy/certs/root-ca/ca.crt
  certFile: /etc/metrics-proxy/certs/metrics-client/tls.crt
  keyFile: /etc/metrics-proxy/certs/metrics-client/tls.key
  metricsJob: apiserver
  metricsNamespace: default
  metricsService: kubernetes
  metricsEndpoint: https
  targetLabels: {apiserver: kube-apiserver}
  metricRelabelings:
  - sourceLabels: [__name__]
    regex: apiserver_request_total|apiserver_storage_objects
    action: keep
  scrapeTimeout: 10s
  endpoints: []
`;

/** What HyperShift's control-plane-operator writes (sigs.k8s.io/yaml: sorted keys, empty strings kept). */
const HYPERSHIFT_CONFIG = `components:
- metricsPath: /metrics
  metricsPort: 8085
  metricsScheme: http
  name: cluster-autoscaler
  selector:
    app: cluster-autoscaler
  tlsServerName: ""
- caFile: /etc/metrics-proxy/certs/etcd-ca/ca.crt
  certFile: /etc/metrics-proxy/certs/etcd-metrics-client-tls/etcd-client.crt
  keyFile: /etc/metrics-proxy/certs/etcd-metrics-client-tls/etcd-client.key
  metricsPath: /metrics
  metricsPort: 2381
  metricsScheme: https
  name: etcd
  selector:
    app: etcd
  tlsServerName: etcd-client
- caFile: /etc/metrics-proxy/certs/root-ca/ca.crt
  certFile: /etc/metrics-proxy/certs/metrics-client/tls.crt
  keyFile: /etc/metrics-proxy/certs/metrics-client/tls.key
  metricsEndpoint: https
  metricsJob: apiserver
  metricsNamespace: default
  metricsPath: /metrics
  metricsPort: 6443
  metricsScheme: https
  metricsService: kubernetes
  name: kube-apiserver
  selector:
    app: kube-apiserver
    hypershift.openshift.io/control-plane-component: kube-apiserver
  tlsServerName: kube-apiserver
endpointResolver:
  caFile: /etc/metrics-proxy/certs/endpoint-resolver-ca/tls.crt
  url: https://endpoint-resolver.clusters-demo.svc
`;

function parseError(text: string, o: ParseOptions = opts): ConfigError {
  try {
    parseProxyConfig(text, o);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

/** A minimal valid document with one component, `extra` merged into it. */
function withComponent(extra: Record<string, unknown>, top: Record<string, unknown> = {}): string {
  return JSON.stringify({
    endpointResolver: { url: 'https://er.svc' },
    components: [{ name: 'etcd', selector: { app: 'etcd' }, metricsPort: 2381, ...extra }],
    ...top,
  });
}

describe('proxy/config/parse', () => {
  describe('valid documents', () => {
    it('parses the DESIGN §4 example', () => {
      const cfg = parseProxyConfig(DESIGN_EXAMPLE, opts);
      expect(cfg.endpointResolver).to.deep.equal({
        url: 'https://endpoint-resolver.clusters-demo.svc',
        caFile: '/etc/er/ca.crt',
        certFile: '/etc/er/tls.crt',
        keyFile: '/etc/er/tls.key',
      });
      expect(cfg.components).to.have.length(1);
      const kas = cfg.components[0]!;
      expect(kas).to.include({
        name: 'kube-apiserver',
        metricsPort: 6443,
        metricsPath: '/metrics',
        metricsScheme: 'https',
        tlsServerName: 'kube-apiserver',
        caFile: '/etc/metrics-proxy/certs/root-ca/ca.crt',
        certFile: '/etc/metrics-proxy/certs/metrics-client/tls.crt',
        keyFile: '/etc/metrics-proxy/certs/metrics-client/tls.key',
        insecureSkipVerify: false,
        metricsJob: 'apiserver',
        metricsNamespace: 'default',
        metricsService: 'kubernetes',
        metricsEndpoint: 'https',
        scrapeTimeoutSeconds: 10,
      });
      expect(kas.selector).to.deep.equal({ app: 'kube-apiserver' });
      expect(kas.targetLabels).to.deep.equal({ apiserver: 'kube-apiserver' });
      expect(kas.endpoints).to.deep.equal([]);
      expect(kas.metricRelabelings).to.deep.equal([
        { sourceLabels: ['__name__'], regex: 'apiserver_request_total|apiserver_storage_objects', action: 'keep' },
      ]);
      expect(kas.metricRelabelRules).to.have.length(1);
      expect(kas.metricRelabelRules[0]!.action).to.equal('keep');
      expect(kas.metricRelabelRules[0]!.regex.test('apiserver_request_total')).to.equal(true);
      expect(kas.metricRelabelRules[0]!.regex.test('apiserver_request_total_x')).to.equal(false);
    });

    it('parses the same document written as JSON to the same config', () => {
      const json = JSON.stringify(YAML.parse(DESIGN_EXAMPLE), null, 2);
      expect(json.trimStart().startsWith('{')).to.equal(true);
      const fromJson = parseProxyConfig(json, opts);
      const fromYaml = parseProxyConfig(DESIGN_EXAMPLE, opts);
      // Compiled rules hold RegExps; compare them by source and the rest structurally.
      const strip = (c: ProxyConfig) => ({
        ...c,
        components: c.components.map((k) => ({ ...k, metricRelabelRules: k.metricRelabelRules.map((r) => ({ ...r, regex: r.regex.source })) })),
      });
      expect(strip(fromJson)).to.deep.equal(strip(fromYaml));
    });

    it("parses HyperShift's own config.yaml (list form, empty tlsServerName, no extensions)", () => {
      const cfg = parseProxyConfig(HYPERSHIFT_CONFIG, opts);
      expect(cfg.endpointResolver).to.deep.equal({
        url: 'https://endpoint-resolver.clusters-demo.svc',
        caFile: '/etc/metrics-proxy/certs/endpoint-resolver-ca/tls.crt',
      });
      expect(cfg.components.map((c) => c.name)).to.deep.equal(['cluster-autoscaler', 'etcd', 'kube-apiserver']);
      const [ca, etcd, kas] = cfg.components as [any, any, any];
      expect(ca.metricsScheme).to.equal('http');
      expect(ca).to.not.have.property('tlsServerName');
      expect(ca).to.include({ metricsJob: 'cluster-autoscaler', metricsNamespace: 'clusters-demo', metricsService: 'cluster-autoscaler', metricsEndpoint: 'metrics' });
      expect(etcd).to.include({ metricsPort: 2381, tlsServerName: 'etcd-client', keyFile: '/etc/metrics-proxy/certs/etcd-metrics-client-tls/etcd-client.key' });
      expect(kas).to.include({ metricsJob: 'apiserver', metricsNamespace: 'default', metricsService: 'kubernetes', metricsEndpoint: 'https' });
      expect(kas.selector).to.deep.equal({ app: 'kube-apiserver', 'hypershift.openshift.io/control-plane-component': 'kube-apiserver' });
    });

    it('accepts `components: null` (what Go writes for no components)', () => {
      const cfg = parseProxyConfig('endpointResolver: {url: "https://er.svc", caFile: /ca}\ncomponents: null\n', opts);
      expect(cfg.components).to.deep.equal([]);
    });

    it("accepts older HyperShift's map form keyed by name; serviceName defaults metricsService", () => {
      const cfg = parseProxyConfig(
        `endpointResolver: {url: https://er.svc}
components:
  etcd:
    serviceName: etcd-client
    selector: {app: etcd}
    metricsPort: 2381
    metricsPath: /metrics
    metricsScheme: https
    tlsServerName: etcd-client
  kube-apiserver:
    name: kube-apiserver
    selector: {app: kube-apiserver}
    metricsPort: 6443
`,
        opts,
      );
      expect(cfg.components.map((c) => [c.name, c.metricsService])).to.deep.equal([
        ['etcd', 'etcd-client'],
        ['kube-apiserver', 'kube-apiserver'],
      ]);
    });

    it('applies the defaults', () => {
      const cfg = parseProxyConfig('endpointResolver: {url: http://er:9444}\ncomponents:\n- {name: etcd, selector: {app: etcd}, metricsPort: 2381}\n', opts);
      expect(cfg.endpointResolver).to.deep.equal({ url: 'http://er:9444' });
      expect(cfg.components[0]).to.deep.equal({
        name: 'etcd',
        selector: { app: 'etcd' },
        metricsPort: 2381,
        metricsPath: '/metrics',
        metricsScheme: 'https',
        insecureSkipVerify: false,
        metricsJob: 'etcd',
        metricsNamespace: 'clusters-demo',
        metricsService: 'etcd',
        metricsEndpoint: 'metrics',
        targetLabels: {},
        podTargetLabels: [],
        relabelings: [],
        relabelRules: [],
        metricRelabelings: [],
        metricRelabelRules: [],
        scrapeTimeoutSeconds: 10,
        endpoints: [],
      });
    });

    it('uses defaultScrapeTimeoutSeconds and parses scrapeTimeout durations', () => {
      const cfg = parseProxyConfig(
        JSON.stringify({
          endpointResolver: { url: 'https://er.svc' },
          components: [
            { name: 'a', selector: { app: 'a' }, metricsPort: 1 },
            { name: 'b', selector: { app: 'b' }, metricsPort: 1, scrapeTimeout: '1m30s' },
            { name: 'c', selector: { app: 'c' }, metricsPort: 1, scrapeTimeout: '500ms' },
          ],
        }),
        { ...opts, defaultScrapeTimeoutSeconds: 7 },
      );
      expect(cfg.components.map((c) => c.scrapeTimeoutSeconds)).to.deep.equal([7, 90, 0.5]);
    });

    it('endpoints inherit every key they do not set from their component', () => {
      const cfg = parseProxyConfig(
        `endpointResolver: {url: https://er.svc}
components:
- name: kube-apiserver
  selector: {app: kube-apiserver}
  metricsPort: 6443
  tlsServerName: kube-apiserver
  caFile: /ca.crt
  certFile: /tls.crt
  keyFile: /tls.key
  insecureSkipVerify: true
  metricsJob: apiserver
  metricsService: kubernetes
  targetLabels: {apiserver: kube-apiserver}
  podTargetLabels: [app.kubernetes.io/version]
  relabelings: [{targetLabel: cluster, replacement: hosted}]
  metricRelabelings: [{sourceLabels: [__name__], regex: "x_.*", action: drop}]
  scrapeTimeout: 5s
  endpoints:
  - metricsPort: 2381
    metricsPath: /livez/metrics
  - metricsPort: 8080
    metricsScheme: http
    metricsEndpoint: plain
    targetLabels: {}
  - metricsPort: 9443
    certFile: /other.crt
    keyFile: /other.key
    metricRelabelings: []
`,
        opts,
      );
      const kas = cfg.components[0]!;
      const [e1, e2, e3] = kas.endpoints as [any, any, any];
      expect(e1).to.deep.equal({
        metricsPort: 2381,
        metricsPath: '/livez/metrics',
        metricsScheme: 'https',
        tlsServerName: 'kube-apiserver',
        caFile: '/ca.crt',
        certFile: '/tls.crt',
        keyFile: '/tls.key',
        insecureSkipVerify: true,
        metricsJob: 'apiserver',
        metricsNamespace: 'clusters-demo',
        metricsService: 'kubernetes',
        metricsEndpoint: 'metrics',
        targetLabels: { apiserver: 'kube-apiserver' },
        podTargetLabels: ['app.kubernetes.io/version'],
        relabelings: kas.relabelings,
        relabelRules: kas.relabelRules,
        metricRelabelings: kas.metricRelabelings,
        metricRelabelRules: kas.metricRelabelRules,
        scrapeTimeoutSeconds: 5,
      });
      // An http endpoint drops the inherited TLS settings.
      expect(e2).to.include({ metricsPort: 8080, metricsScheme: 'http', metricsEndpoint: 'plain', metricsPath: '/metrics', insecureSkipVerify: false });
      expect(e2).to.not.have.any.keys('tlsServerName', 'caFile', 'certFile', 'keyFile');
      expect(e2.targetLabels).to.deep.equal({});
      // Its own client pair replaces the parent's; the CA is still inherited.
      expect(e3).to.include({ certFile: '/other.crt', keyFile: '/other.key', caFile: '/ca.crt' });
      expect(e3.metricRelabelRules).to.deep.equal([]);
      expect(e3.relabelings, 'relabelings are inherited too').to.deep.equal([{ targetLabel: 'cluster', replacement: 'hosted' }]);
      // Inherited maps are copies, not shared with the component.
      expect(e1.targetLabels).to.not.equal(kas.targetLabels);
    });

    it('podTargetLabels: Kubernetes label keys, never one that would become a label the proxy sets', () => {
      const cfg = parseProxyConfig(withComponent({ podTargetLabels: ['app.kubernetes.io/version', 'tier'] }), opts);
      expect(cfg.components[0]!.podTargetLabels).to.deep.equal(['app.kubernetes.io/version', 'tier']);
      expect(() => parseProxyConfig(withComponent({ podTargetLabels: 'tier' }), opts)).to.throw(/components\[0\]\.podTargetLabels: must be a list of pod label keys/);
      expect(() => parseProxyConfig(withComponent({ podTargetLabels: ['not a key'] }), opts)).to.throw(/podTargetLabels\[0\]: must be a Kubernetes label key/);
      expect(() => parseProxyConfig(withComponent({ podTargetLabels: ['tier', 'pod'] }), opts)).to.throw(/podTargetLabels\[1\]: becomes the label "pod", which the proxy sets itself/);
    });

    it('accepts Kubernetes label keys with prefixes and empty label values in selectors', () => {
      const cfg = parseProxyConfig(withComponent({ selector: { 'app.kubernetes.io/name': 'etcd', 'hypershift.openshift.io/hosted-control-plane': '' } }), opts);
      expect(cfg.components[0]!.selector).to.deep.equal({ 'app.kubernetes.io/name': 'etcd', 'hypershift.openshift.io/hosted-control-plane': '' });
    });

    it('accepts the LabelSelector form with matchExpressions; the plain map has none', () => {
      const cfg = parseProxyConfig(withComponent({ selector: { matchLabels: { app: 'etcd' }, matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }, { key: 'zone', operator: 'In', values: ['a', 'b'] }] } }), opts);
      expect(cfg.components[0]!.selector).to.deep.equal({ app: 'etcd' });
      expect(cfg.components[0]!.matchExpressions).to.deep.equal([
        { key: 'canary', operator: 'DoesNotExist', values: [] },
        { key: 'zone', operator: 'In', values: ['a', 'b'] },
      ]);
      const exprOnly = parseProxyConfig(withComponent({ selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } }), opts);
      expect(exprOnly.components[0]!.selector).to.deep.equal({});
      expect(parseProxyConfig(withComponent({}), opts).components[0]).not.to.have.property('matchExpressions');
    });
  });

  describe('invalid documents name the exact key path', () => {
    const cases: Array<[string, string, string]> = [
      // [what, document, expected message after "cfg.yaml: "]
      ['unknown top-level key', withComponent({}, { foo: 1 }), 'foo: unknown key'],
      ['unknown key in a component', withComponent({ foo: 1 }), 'components[0].foo: unknown key'],
      ['unknown key in an endpoint', withComponent({ endpoints: [{ metricsPort: 1, foo: 1 }] }), 'components[0].endpoints[0].foo: unknown key'],
      ['name in an endpoint', withComponent({ endpoints: [{ metricsPort: 1, name: 'x' }] }), 'components[0].endpoints[0].name: unknown key'],
      ['selector in an endpoint', withComponent({ endpoints: [{ metricsPort: 1, selector: { a: 'b' } }] }), 'components[0].endpoints[0].selector: unknown key'],
      ['unknown key in endpointResolver', withComponent({}, { endpointResolver: { url: 'https://er', token: 'x' } }), 'endpointResolver.token: unknown key'],
      ['port as a string', withComponent({ metricsPort: 'abc' }), 'components[0].metricsPort: must be an integer 1-65535, got "abc"'],
      ['port 0', withComponent({ metricsPort: 0 }), 'components[0].metricsPort: must be an integer 1-65535, got 0'],
      ['port too large', withComponent({ metricsPort: 65536 }), 'components[0].metricsPort: must be an integer 1-65535, got 65536'],
      ['fractional port', withComponent({ metricsPort: 1.5 }), 'components[0].metricsPort: must be an integer 1-65535, got 1.5'],
      ['missing port', withComponent({ metricsPort: undefined }), 'components[0].metricsPort: required'],
      ['endpoint without port', withComponent({ endpoints: [{ metricsPath: '/x' }] }), 'components[0].endpoints[0].metricsPort: required'],
      ['bad endpoint port', withComponent({ endpoints: [{ metricsPort: 1 }, { metricsPort: -1 }] }), 'components[0].endpoints[1].metricsPort: must be an integer 1-65535, got -1'],
      ['bad scheme', withComponent({ metricsScheme: 'ftp' }), 'components[0].metricsScheme: must be "http" or "https", got "ftp"'],
      ['path without slash', withComponent({ metricsPath: 'metrics' }), 'components[0].metricsPath: must start with "/", got "metrics"'],
      ['missing selector', withComponent({ selector: undefined }), 'components[0].selector: required'],
      ['empty selector', withComponent({ selector: {} }), 'components[0].selector: must not be empty'],
      ['selector as a list', withComponent({ selector: ['app'] }), 'components[0].selector: must be a mapping, got a list'],
      ['bad selector key', withComponent({ selector: { 'bad key': 'x' } }), 'components[0].selector.bad key: invalid label key'],
      ['bad selector value', withComponent({ selector: { app: 'a b' } }), 'components[0].selector.app: invalid label value "a b"'],
      ['non-string selector value', withComponent({ selector: { app: 1 } }), 'components[0].selector.app: must be a string, got 1'],
      ['missing name', withComponent({ name: undefined }), 'components[0].name: required'],
      ['name with a slash', withComponent({ name: 'a/b' }), 'components[0].name: must be URL-path-safe'],
      ['name ".."', withComponent({ name: '..' }), 'components[0].name: must be URL-path-safe'],
      ['caFile with http', withComponent({ metricsScheme: 'http', caFile: '/ca' }), 'components[0].caFile: only allowed with metricsScheme https'],
      ['insecureSkipVerify with http', withComponent({ metricsScheme: 'http', insecureSkipVerify: true }), 'components[0].insecureSkipVerify: only allowed with metricsScheme https'],
      ['TLS key on an http endpoint', withComponent({ endpoints: [{ metricsPort: 1, metricsScheme: 'http', tlsServerName: 'x' }] }), 'components[0].endpoints[0].tlsServerName: only allowed with metricsScheme https'],
      ['certFile without keyFile', withComponent({ certFile: '/tls.crt' }), 'components[0].keyFile: required when certFile is set'],
      ['keyFile without certFile', withComponent({ keyFile: '/tls.key' }), 'components[0].certFile: required when keyFile is set'],
      ['insecureSkipVerify not a boolean', withComponent({ insecureSkipVerify: 'yes' }), 'components[0].insecureSkipVerify: must be true or false, got "yes"'],
      ['bad duration', withComponent({ scrapeTimeout: '10x' }), 'components[0].scrapeTimeout: must be a Prometheus duration such as "10s", "1m30s" or "500ms", got "10x"'],
      ['duration as a number', withComponent({ scrapeTimeout: 10 }), 'components[0].scrapeTimeout: must be a Prometheus duration'],
      ['units out of order', withComponent({ scrapeTimeout: '30s1m' }), 'components[0].scrapeTimeout: must be a Prometheus duration'],
      ['zero duration', withComponent({ scrapeTimeout: '0s' }), 'components[0].scrapeTimeout: must be greater than 0, got "0s"'],
      ['bad duration on an endpoint', withComponent({ endpoints: [{ metricsPort: 1, scrapeTimeout: '1 s' }] }), 'components[0].endpoints[0].scrapeTimeout: must be a Prometheus duration'],
      ['bad target label name', withComponent({ targetLabels: { '1abc': 'x' } }), 'components[0].targetLabels.1abc: invalid label name'],
      ['reserved target label', withComponent({ targetLabels: { __address__: 'x' } }), 'components[0].targetLabels.__address__: label names starting with "__" are reserved'],
      ['target label the proxy sets', withComponent({ targetLabels: { job: 'x' } }), 'components[0].targetLabels.job: set by the proxy itself'],
      ['metricRelabelings not a list', withComponent({ metricRelabelings: { action: 'drop' } }), 'components[0].metricRelabelings: must be a list, got a mapping'],
      ['bad selector operator', withComponent({ selector: { matchExpressions: [{ key: 'a', operator: 'Has' }] } }), 'components[0].selector.matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist, not "Has"'],
      ['In without values', withComponent({ selector: { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'a', operator: 'In' }] } }), 'components[0].selector.matchExpressions[0].values: must be non-empty for operator In'],
      ['empty LabelSelector', withComponent({ selector: { matchLabels: {}, matchExpressions: [] } }), 'components[0].selector: must not be empty'],
      ['relabelings not a list', withComponent({ relabelings: 'x' }), 'components[0].relabelings: must be a list, got "x"'],
      ['bad relabelings regex', withComponent({ endpoints: [{ metricsPort: 1, relabelings: [{ sourceLabels: ['pod'], regex: '(', action: 'keep' }] }] }), 'components[0].endpoints[0].relabelings[0].regex: error parsing regexp: missing closing ): `^(?:()$`'],
      ['endpoints not a list', withComponent({ endpoints: { a: 1 } }), 'components[0].endpoints: must be a list, got a mapping'],
      ['components a string', JSON.stringify({ endpointResolver: { url: 'https://er' }, components: 'x' }), 'components: must be a list of components'],
      ['missing endpointResolver', JSON.stringify({ components: [] }), 'endpointResolver: required'],
      ['missing resolver url', JSON.stringify({ endpointResolver: { caFile: '/ca' } }), 'endpointResolver.url: required'],
      ['resolver url not http(s)', JSON.stringify({ endpointResolver: { url: 'ftp://er' } }), 'endpointResolver.url: must be an https (or http) URL, got "ftp://er"'],
      ['resolver url not a URL', JSON.stringify({ endpointResolver: { url: 'endpoint-resolver' } }), 'endpointResolver.url: must be an https (or http) URL'],
      ['resolver CA with http', JSON.stringify({ endpointResolver: { url: 'http://er', caFile: '/ca' } }), 'endpointResolver.caFile: only allowed with an https url'],
      ['resolver cert without key', JSON.stringify({ endpointResolver: { url: 'https://er', certFile: '/c' } }), 'endpointResolver.keyFile: required when certFile is set'],
      ['document is a list', '- a\n- b\n', 'must be a mapping with endpointResolver and components, got a list'],
      ['empty document', '', 'must be a mapping with endpointResolver and components, got null'],
      ['YAML syntax error', 'endpointResolver: {url: x\n', 'invalid YAML/JSON: '],
      ['duplicate keys', 'endpointResolver: {url: "https://a"}\nendpointResolver: {url: "https://b"}\n', 'invalid YAML/JSON: Map keys must be unique at line 2'],
    ];
    for (const [what, doc, expected] of cases) {
      it(what, () => {
        const err = parseError(doc);
        expect(err.source).to.equal('cfg.yaml');
        expect(err.message.startsWith(`cfg.yaml: ${expected}`), `message was: ${err.message}`).to.equal(true);
        const path = expected.startsWith('must be a mapping with') || expected.startsWith('invalid YAML') ? '' : expected.slice(0, expected.indexOf(': '));
        expect(err.keyPath).to.equal(path);
      });
    }

    it('reports a duplicate component name at the second occurrence', () => {
      const doc = JSON.stringify({
        endpointResolver: { url: 'https://er' },
        components: [
          { name: 'etcd', selector: { app: 'etcd' }, metricsPort: 1 },
          { name: 'kas', selector: { app: 'kas' }, metricsPort: 1 },
          { name: 'etcd', selector: { app: 'etcd2' }, metricsPort: 2 },
        ],
      });
      const err = parseError(doc);
      expect(err.keyPath).to.equal('components[2].name');
      expect(err.message).to.equal('cfg.yaml: components[2].name: duplicate component name "etcd" (also components[0])');
    });

    it('reports the port of the second component as in the contract example', () => {
      const doc = `endpointResolver: {url: "https://er"}
components:
- {name: a, selector: {app: a}, metricsPort: 1}
- {name: b, selector: {app: b}, metricsPort: abc}
`;
      expect(parseError(doc).message).to.equal('cfg.yaml: components[1].metricsPort: must be an integer 1-65535, got "abc"');
    });

    it('locates a bad relabel regex at its .regex key', () => {
      const err = parseError(withComponent({ metricRelabelings: [{ sourceLabels: ['__name__'], regex: '(', action: 'keep' }] }));
      expect(err.keyPath).to.match(/^components\[0\]\.metricRelabelings\[0\]\.regex$/);
      expect(err.message.startsWith('cfg.yaml: components[0].metricRelabelings[0].regex: ')).to.equal(true);
    });

    it('locates a bad relabel regex on an endpoint', () => {
      const err = parseError(withComponent({ endpoints: [{ metricsPort: 1, metricRelabelings: [{ regex: '[', action: 'drop', sourceLabels: ['a'] }] }] }));
      expect(err.keyPath).to.equal('components[0].endpoints[0].metricRelabelings[0].regex');
    });

    it('names map-form entries by their key', () => {
      const err = parseError('endpointResolver: {url: "https://er"}\ncomponents:\n  etcd: {serviceName: etcd-client, metricsPort: 2381}\n');
      expect(err.message).to.equal('cfg.yaml: components.etcd.selector: required');
      const err2 = parseError('endpointResolver: {url: "https://er"}\ncomponents:\n  etcd: {name: kas, selector: {app: etcd}, metricsPort: 2381}\n');
      expect(err2.keyPath).to.equal('components.etcd.name');
    });

    it('rejects a __proto__ key instead of silently dropping it', () => {
      const err = parseError('endpointResolver: {url: "https://er"}\n__proto__: {x: 1}\n');
      expect(err.keyPath).to.equal('__proto__');
    });
  });
});
