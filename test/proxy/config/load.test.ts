import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../common/errors.js';
import { loadProxyConfigFile } from '../../../proxy/config/load.js';

async function rejection(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a rejection');
}

describe('proxy/config/load', () => {
  let dir: string;
  const opts = { defaultNamespace: 'clusters-demo' };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-load-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a YAML file', async () => {
    const f = join(dir, 'config.yaml');
    writeFileSync(f, 'endpointResolver: {url: "https://er.svc"}\ncomponents:\n- {name: etcd, selector: {app: etcd}, metricsPort: 2381}\n');
    const cfg = await loadProxyConfigFile(f, opts);
    expect(cfg.components[0]!.metricsNamespace).to.equal('clusters-demo');
  });

  it('reports a missing file clearly, naming it', async () => {
    const f = join(dir, 'nope.yaml');
    const err = await rejection(loadProxyConfigFile(f, opts));
    expect(err.message).to.equal(`${f}: file not found`);
    expect(err.source).to.equal(f);
  });

  it('reports a directory', async () => {
    const err = await rejection(loadProxyConfigFile(dir, opts));
    expect(err.message).to.equal(`${dir}: is a directory, expected a file`);
  });

  it('names the file and key path of an invalid value', async () => {
    const f = join(dir, 'config.json');
    writeFileSync(f, JSON.stringify({ endpointResolver: { url: 'https://er' }, components: [{ name: 'etcd', selector: { app: 'etcd' }, metricsPort: 'abc' }] }));
    const err = await rejection(loadProxyConfigFile(f, opts));
    expect(err.message).to.equal(`${f}: components[0].metricsPort: must be an integer 1-65535, got "abc"`);
    expect(err.keyPath).to.equal('components[0].metricsPort');
  });
});
