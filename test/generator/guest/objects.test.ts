/** The guest objects as pure functions: shapes, ownership, and the "already says what we want" comparison. */
import { expect } from 'chai';
import { bundleCertificates, containsAll, desiredPodMonitor, isOwned, SOURCE_NAMESPACE_ANNOTATION } from '../../../generator/guest/objects.js';
import { createCA } from '../../../generator/pki/index.js';

describe('generator: guest objects', () => {
  it('compares by what we want: extra keys (server defaults) do not count, arrays match element for element', () => {
    const want = { a: 1, list: [{ x: 'p' }, { x: 'q' }], nested: { b: true } };
    expect(containsAll({ ...want, defaulted: 'yes', nested: { b: true, c: 2 } }, want)).to.equal(true);
    expect(containsAll({ ...want, list: [{ x: 'p', interval: '30s' }, { x: 'q' }] }, want)).to.equal(true);
    expect(containsAll({ ...want, list: [{ x: 'p' }] }, want), 'an endpoint missing').to.equal(false);
    expect(containsAll({ ...want, list: [{ x: 'p' }, { x: 'q' }, { x: 'r' }] }, want), 'an endpoint too many').to.equal(false);
    expect(containsAll({ ...want, a: '1' }, want), 'types matter').to.equal(false);
    expect(containsAll(undefined, want)).to.equal(false);
    expect(containsAll([], {})).to.equal(false);
  });

  it('owns an object only with the managed-by label and its own HCP namespace', () => {
    const labels = { 'app.kubernetes.io/managed-by': 'hcp-metrics-proxy-generator' };
    expect(isOwned({ labels, annotations: { [SOURCE_NAMESPACE_ANNOTATION]: 'clusters-a' } }, 'clusters-a')).to.equal(true);
    expect(isOwned({ labels, annotations: { [SOURCE_NAMESPACE_ANNOTATION]: 'clusters-b' } }, 'clusters-a')).to.equal(false);
    expect(isOwned({ labels }, 'clusters-a')).to.equal(false);
    expect(isOwned({ annotations: { [SOURCE_NAMESPACE_ANNOTATION]: 'clusters-a' } }, 'clusters-a')).to.equal(false);
    expect(isOwned(undefined, 'clusters-a')).to.equal(false);
  });

  it('reads the certificates of a bundle regardless of line endings and spacing', () => {
    const a = createCA({ commonName: 'a' }).certPem;
    const b = createCA({ commonName: 'b' }).certPem;
    expect(bundleCertificates(`${a.trim()}\r\n\n${b}`)).to.deep.equal([...bundleCertificates(a), ...bundleCertificates(b)]);
    expect(bundleCertificates(a.replace(/\n/g, '\r\n'))).to.deep.equal(bundleCertificates(a));
    expect(bundleCertificates('not a certificate')).to.deep.equal([]);
  });

  it('keeps the served paths in the proxy order, one endpoint each', () => {
    const pm = desiredPodMonitor(['/metrics/b', '/metrics/a', '/metrics/a/1'], { namespace: 'openshift-monitoring', sourceNamespace: 'clusters-a', routeHost: 'h.example.com', auth: { mode: 'client-certificate' } });
    expect(pm.spec.podMetricsEndpoints.map((e) => e.path)).to.deep.equal(['/metrics/b', '/metrics/a', '/metrics/a/1']);
    expect(pm.metadata).to.deep.equal({ name: 'hcp-metrics-proxy', namespace: 'openshift-monitoring', labels: { 'app.kubernetes.io/managed-by': 'hcp-metrics-proxy-generator' }, annotations: { [SOURCE_NAMESPACE_ANNOTATION]: 'clusters-a' } });
  });
});
