/** Where the resolver and the generator get the management cluster's kubeconfig from. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../common/kubeconfig.js';

describe('common/kubeconfig', () => {
  it('uses --kubeconfig, else in-cluster configuration, else says what to do', () => {
    expect(() => loadKubeConfig(undefined, {})).to.throw(/no kubeconfig: give --kubeconfig FILE, or run in a pod/);
    expect(() => loadKubeConfig('/nonexistent/kubeconfig', {})).to.throw(/cannot load --kubeconfig \/nonexistent\/kubeconfig/);
  });

  it('loads the file it is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    try {
      const file = join(dir, 'kubeconfig');
      writeFileSync(
        file,
        'apiVersion: v1\nkind: Config\nclusters: [{name: m, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: m, user: u}}]\ncurrent-context: c\n',
      );
      expect(loadKubeConfig(file, {}).getCurrentCluster()?.server).to.equal('https://127.0.0.1:6443');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
