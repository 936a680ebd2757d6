/** Allowed subjects and SubjectAccessReview (against the fake hosted kube-apiserver), with cached answers on a fake clock. */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../../common/log.js';
import { parseAllowedSubjects, SubjectAuthorizer } from '../../../proxy/auth/authorizer.js';
import { KasHealth } from '../../../proxy/auth/kas-health.js';
import { HostedKubeClient } from '../../../proxy/auth/kube-client.js';
import { FakeKubeApiserver, sendJson } from '../../support/fake-kube-apiserver.js';
import { FakeClock, PROMETHEUS_SA } from './helpers.js';

describe('auth: authorization', function () {
  this.timeout(30_000);
  const logger = memoryLogger();

  describe('allowed subjects', () => {
    it('parses users and group: entries', () => {
      const a = parseAllowedSubjects([PROMETHEUS_SA, 'group:system:monitoring', ' ', 'alice']);
      expect([...a.users]).to.deep.equal([PROMETHEUS_SA, 'alice']);
      expect([...a.groups]).to.deep.equal(['system:monitoring']);
      expect(() => parseAllowedSubjects(['group:'])).to.throw(/empty group/);
    });

    it('allows listed users and members of listed groups, and names the user and path otherwise', async () => {
      const z = new SubjectAuthorizer({ allowed: parseAllowedSubjects([PROMETHEUS_SA, 'group:readers']), logger });
      expect(await z.authorize({ username: PROMETHEUS_SA, groups: [] }, '/metrics/etcd')).to.deep.equal({ kind: 'allow', via: 'list' });
      expect(await z.authorize({ username: 'bob', groups: ['x', 'readers'] }, '/metrics/etcd')).to.deep.equal({ kind: 'allow', via: 'list' });
      expect(await z.authorize({ username: 'bob', groups: ['x'] }, '/metrics/etcd')).to.deep.equal({ kind: 'deny', message: 'user "bob" is not allowed to get /metrics/etcd' });
    });
  });

  describe('SubjectAccessReview', () => {
    let kas: FakeKubeApiserver;
    let dir: string;
    let client: HostedKubeClient;
    let clock: FakeClock;
    let z: SubjectAuthorizer;

    before(async () => {
      kas = await FakeKubeApiserver.start();
      dir = mkdtempSync(join(tmpdir(), 'hcp-sar-'));
      client = new HostedKubeClient({ kubeconfigFile: kas.writeKubeconfig(dir).kubeconfig, logger, timeoutMs: 5000 });
      kas.grant('carol', '/metrics/etcd');
      kas.grant('group:sre', '/metrics/*');
    });
    after(async () => {
      client?.close();
      await kas?.close();
      rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      clock = new FakeClock();
      z = new SubjectAuthorizer({ allowed: parseAllowedSubjects([PROMETHEUS_SA]), sar: { api: client }, logger, now: clock.now });
      kas.resetCounts();
    });
    afterEach(async () => {
      z.close();
      await kas.setReachable(true);
    });

    it('asks the kube-apiserver about subjects not in the list: get on the non-resource path', async () => {
      let spec: unknown;
      const dave = { username: 'dave', uid: 'uid-d', groups: ['sre', 'system:authenticated'], extra: { scopes: ['x'] } };
      const unroute = kas.route(
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        (req, res) => {
          spec = (req.body as { spec: unknown }).spec;
          sendJson(res, 201, { kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {}, spec, status: { allowed: true } });
        },
        { kind: 'sar-spy' },
      );
      try {
        expect(await z.authorize(dave, '/metrics/kube-apiserver/1')).to.deep.equal({ kind: 'allow', via: 'sar' });
      } finally {
        unroute();
      }
      expect(spec).to.deep.equal({ user: 'dave', uid: 'uid-d', groups: ['sre', 'system:authenticated'], extra: { scopes: ['x'] }, nonResourceAttributes: { path: '/metrics/kube-apiserver/1', verb: 'get' } });
      expect(kas.callCount('sar-spy')).to.equal(1);
    });

    it('caches an allow for 5 minutes and a deny for 30 seconds', async () => {
      const carol = { username: 'carol', groups: [] };
      expect(await z.authorize(carol, '/metrics/etcd')).to.deep.equal({ kind: 'allow', via: 'sar' });
      expect(await z.authorize(carol, '/metrics/kube-apiserver')).to.deep.equal({ kind: 'deny', message: 'user "carol" is not allowed to get /metrics/kube-apiserver' });
      expect(kas.subjectAccessReviews).to.equal(2);
      clock.advance(29_000);
      await z.authorize(carol, '/metrics/etcd');
      await z.authorize(carol, '/metrics/kube-apiserver');
      expect(kas.subjectAccessReviews).to.equal(2);
      clock.advance(2_000); // the deny expired, the allow did not
      await z.authorize(carol, '/metrics/etcd');
      expect((await z.authorize(carol, '/metrics/kube-apiserver')).kind).to.equal('deny');
      expect(kas.subjectAccessReviews).to.equal(3);
      clock.advance(270_000); // 5 min 1 s after the first allow
      expect((await z.authorize(carol, '/metrics/etcd')).kind).to.equal('allow');
      expect(kas.subjectAccessReviews).to.equal(4);
    });

    it('never asks about listed subjects, and answers unavailable (uncached) when the kube-apiserver is down', async () => {
      const health = new KasHealth({ probe: () => client.probe(), logger });
      z.close();
      z = new SubjectAuthorizer({ allowed: parseAllowedSubjects([PROMETHEUS_SA]), sar: { api: client }, logger, now: clock.now, health });
      const erin = { username: 'erin', groups: ['sre'] };
      expect((await z.authorize(erin, '/metrics/etcd')).kind).to.equal('allow'); // cached now
      await kas.setReachable(false);
      expect(await z.authorize({ username: PROMETHEUS_SA, groups: [] }, '/metrics/etcd')).to.deep.equal({ kind: 'allow', via: 'list' });
      expect((await z.authorize(erin, '/metrics/etcd')).kind).to.equal('allow');
      const down = await z.authorize(erin, '/metrics/kube-apiserver');
      expect(down.kind).to.equal('unavailable');
      expect(health.unreachable).to.equal(true);
      await kas.setReachable(true);
      expect(await health.check()).to.equal(true);
      expect((await z.authorize(erin, '/metrics/kube-apiserver')).kind).to.equal('allow');
      health.close();
    });
  });
});
