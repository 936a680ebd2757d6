import { expect } from 'chai';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../common/errors.js';
import { fileWatchHandleCounts } from '../../../common/file-watch.js';
import { memoryLogger } from '../../../common/log.js';
import { ConfigStore, type ConfigStoreOptions } from '../../../proxy/config/store.js';
import type { ProxyConfig } from '../../../proxy/config/types.js';

async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function configText(port: number, name = 'etcd'): string {
  return `endpointResolver: {url: "https://er.svc"}\ncomponents:\n- {name: ${name}, selector: {app: etcd}, metricsPort: ${port}}\n`;
}

const BAD = 'endpointResolver: {url: "https://er.svc"}\ncomponents:\n- {name: etcd, selector: {app: etcd}, metricsPort: 2381}\n- {name: kas, selector: {app: kas}, metricsPort: abc}\n';

type Logged = { level: string; msg: string; keyPath?: string; error?: string; path?: string };
const parsed = (lines: string[]): Logged[] => lines.map((l) => JSON.parse(l) as Logged);

describe('proxy/config/store', () => {
  let dir: string;
  let file: string;
  let stores: ConfigStore[];
  const opts: ConfigStoreOptions = { defaultNamespace: 'clusters-demo', watch: { pollIntervalMs: 50, debounceMs: 20 } };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-store-'));
    file = join(dir, 'config.yaml');
    stores = [];
  });
  afterEach(() => {
    for (const s of stores) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(path = file) {
    const logger = memoryLogger();
    const store = await ConfigStore.open(path, opts, logger);
    stores.push(store);
    return { store, logger };
  }

  it('fails to open when the first load fails, and leaves nothing running', async () => {
    const before = fileWatchHandleCounts();
    let err: unknown;
    try {
      await open();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.equal(`${file}: file not found`);

    writeFileSync(file, BAD);
    err = undefined;
    try {
      await open();
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).keyPath).to.equal('components[1].metricsPort');
    expect(fileWatchHandleCounts()).to.deep.equal(before);
  });

  it('applies a good change, rejects a bad one keeping the old config, then applies a later good one', async () => {
    writeFileSync(file, configText(2381));
    const { store, logger } = await open();
    expect(store.generation).to.equal(1);
    expect(store.lastError).to.equal(undefined);
    expect(store.current().components[0]!.metricsPort).to.equal(2381);

    const changes: Array<[ProxyConfig, ProxyConfig]> = [];
    store.onChange((next, prev) => changes.push([next, prev]));

    // Good change.
    writeFileSync(file, configText(2382));
    await waitFor(() => store.generation === 2, 'first reload');
    expect(store.current().components[0]!.metricsPort).to.equal(2382);
    expect(changes).to.have.length(1);
    expect(changes[0]![1].components[0]!.metricsPort).to.equal(2381);

    // Bad change: logged at error with the key path, old config kept.
    const good = store.current();
    writeFileSync(file, BAD);
    await waitFor(() => store.lastError !== undefined, 'rejection');
    expect(store.current()).to.equal(good);
    expect(store.generation).to.equal(2);
    expect(store.reloadFailures).to.equal(1);
    expect(store.lastError).to.be.instanceOf(ConfigError);
    expect((store.lastError as ConfigError).keyPath).to.equal('components[1].metricsPort');
    const errors = parsed(logger.lines).filter((l) => l.level === 'error');
    expect(errors).to.have.length(1);
    expect(errors[0]!.keyPath).to.equal('components[1].metricsPort');
    expect(errors[0]!.error).to.equal(`${file}: components[1].metricsPort: must be an integer 1-65535, got "abc"`);
    expect(errors[0]!.path).to.equal(file);
    expect(changes).to.have.length(1);

    // A later good change is picked up and clears the error.
    writeFileSync(file, configText(2383, 'etcd-2'));
    await waitFor(() => store.generation === 3, 'recovery');
    expect(store.current().components[0]!.name).to.equal('etcd-2');
    expect(store.lastError).to.equal(undefined);
    expect(changes).to.have.length(2);
  });

  it('clears the error without a new generation when the file returns to the applied config', async () => {
    writeFileSync(file, configText(2381));
    const { store } = await open();
    writeFileSync(file, 'components: [');
    await waitFor(() => store.lastError !== undefined, 'rejection');
    expect(store.lastError!.message).to.match(/invalid YAML\/JSON/);
    writeFileSync(file, configText(2381));
    await waitFor(() => store.lastError === undefined, 'error cleared');
    expect(store.generation).to.equal(1);
  });

  it('treats a deleted file as a rejected reload and recovers when it comes back', async () => {
    writeFileSync(file, configText(2381));
    const { store } = await open();
    rmSync(file);
    await waitFor(() => store.lastError !== undefined, 'missing-file rejection');
    expect(store.lastError!.message).to.equal(`${file}: file not found`);
    expect(store.current().components[0]!.metricsPort).to.equal(2381);
    writeFileSync(file, configText(2390));
    await waitFor(() => store.generation === 2, 'reload after re-creation');
    expect(store.lastError).to.equal(undefined);
  });

  it('follows a Kubernetes ConfigMap volume update (..data symlink swap)', async () => {
    mkdirSync(join(dir, '..2026_01_01_00_00_00.000000001'));
    writeFileSync(join(dir, '..2026_01_01_00_00_00.000000001', 'config.yaml'), configText(2381));
    symlinkSync('..2026_01_01_00_00_00.000000001', join(dir, '..data'));
    symlinkSync('..data/config.yaml', file);
    const { store } = await open();

    mkdirSync(join(dir, '..2026_01_01_00_01_00.000000002'));
    writeFileSync(join(dir, '..2026_01_01_00_01_00.000000002', 'config.yaml'), configText(2399));
    symlinkSync('..2026_01_01_00_01_00.000000002', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..2026_01_01_00_00_00.000000001'), { recursive: true });

    await waitFor(() => store.generation === 2, 'reload after swap');
    expect(store.current().components[0]!.metricsPort).to.equal(2399);
  });

  it('survives a listener that throws, logging it', async () => {
    writeFileSync(file, configText(2381));
    const { store, logger } = await open();
    let second = 0;
    store.onChange(() => {
      throw new Error('listener boom');
    });
    const off = store.onChange(() => void second++);
    writeFileSync(file, configText(2382));
    await waitFor(() => store.generation === 2, 'reload');
    expect(second).to.equal(1);
    expect(parsed(logger.lines).some((l) => l.level === 'error' && l.error === 'listener boom')).to.equal(true);
    off();
    writeFileSync(file, configText(2383));
    await waitFor(() => store.generation === 3, 'second reload');
    expect(second).to.equal(1);
  });

  it('reload() coalesces concurrent calls and is a no-op for an unchanged file', async () => {
    writeFileSync(file, configText(2381));
    const { store } = await open();
    await Promise.all([store.reload(), store.reload(), store.reload()]);
    expect(store.generation).to.equal(1);
    writeFileSync(file, configText(2382));
    await store.reload();
    expect(store.generation).to.equal(2);
  });

  it('close() releases the watcher', async () => {
    const before = fileWatchHandleCounts();
    writeFileSync(file, configText(2381));
    const { store } = await open();
    expect(fileWatchHandleCounts()).to.not.deep.equal(before);
    store.close();
    expect(fileWatchHandleCounts()).to.deep.equal(before);
  });
});
