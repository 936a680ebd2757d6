/**
 * The manifests and the binaries agree: every container argument the constructs synthesize parses with
 * the flags of the command it runs, every file flag points into a mounted volume, and the proxy mounts
 * what the generator writes where the generated configuration expects it. Run over every entry of the
 * example clusters file, so every auth mode and generator mode is covered.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { parseFlags, type FlagSpecs } from '../../common/flags.js';
import { generatorFlags } from '../../generator/command.js';
import { buildApp } from '../../infra/app.js';
import { proxyFlags } from '../../proxy/command.js';
import { resolverFlags } from '../../resolver/command.js';
import { EXAMPLE_CLUSTERS, type K8sObject } from './helpers.js';

const SPECS: Record<string, FlagSpecs> = { proxy: proxyFlags, resolver: resolverFlags, generator: generatorFlags };

/** Flags whose value is a path the container must be able to read. */
const PATH_FLAGS = ['config', 'tls-cert-file', 'tls-key-file', 'client-ca-file', 'kubeconfig', 'sre-config'];

interface Workload {
  file: string;
  kind: string;
  name: string;
  pod: K8sObject;
}

function workloads(objs: { file: string; obj: K8sObject }[]): Workload[] {
  return objs
    .filter(({ obj }) => obj.kind === 'Deployment' || obj.kind === 'Job')
    .map(({ file, obj }) => ({ file, kind: obj.kind as string, name: obj.metadata.name as string, pod: obj.spec.template.spec }));
}

const underMount = (p: string, mounts: { mountPath: string }[]) => mounts.some((m) => p === m.mountPath || p.startsWith(m.mountPath.replace(/\/?$/, '/')));

describe('infra: container arguments match the commands', () => {
  let objs: { file: string; obj: K8sObject }[];
  before(() => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'args-'));
    try {
      buildApp(EXAMPLE_CLUSTERS, { outdir: out }).synth();
      objs = fs
        .readdirSync(out)
        .filter((f) => f.endsWith('.yaml'))
        .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(out, f), 'utf8')).map((d) => ({ file: f, obj: d.toJSON() as K8sObject })));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('covers the proxy, the resolver and both generator modes', () => {
    const seen = new Set(workloads(objs).flatMap((w) => (w.pod.containers as K8sObject[]).map((c) => `${w.kind}/${c.args[0]}`)));
    expect([...seen].sort()).to.deep.equal(['Deployment/generator', 'Deployment/proxy', 'Deployment/resolver', 'Job/generator']);
  });

  it('every argument parses, and every file flag points into a mounted volume', () => {
    for (const w of workloads(objs)) {
      for (const c of w.pod.containers as K8sObject[]) {
        const where = `${w.file} ${w.kind}/${w.name} container ${c.name}`;
        expect(c.command, where).to.deep.equal(['hcp-metrics-proxy']);
        const [sub, ...rest] = c.args as string[];
        const specs = SPECS[sub!];
        expect(specs, `${where}: unknown subcommand ${sub}`).to.not.equal(undefined);
        let flags: Record<string, unknown> = {};
        expect(() => (flags = parseFlags(rest, specs!) as Record<string, unknown>), where).not.to.throw();
        for (const f of PATH_FLAGS) {
          const v = flags[f];
          if (typeof v === 'string') expect(underMount(v, c.volumeMounts ?? []), `${where}: --${f}=${v} is not under a volume mount`).to.equal(true);
        }
        // $(MY_NAMESPACE) is expanded by the kubelet only when the variable is defined on the container.
        if (rest.some((a) => a.includes('$(MY_NAMESPACE)'))) {
          expect((c.env as K8sObject[]).find((e) => e.name === 'MY_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath, where).to.equal('metadata.namespace');
        }
      }
    }
  });

  it('the proxy mounts what the generator writes, where the generated configuration points', () => {
    const byFile = new Map<string, Workload[]>();
    for (const w of workloads(objs)) byFile.set(w.file, [...(byFile.get(w.file) ?? []), w]);
    for (const [file, ws] of byFile) {
      const gen = ws.find((w) => (w.pod.containers[0].args as string[])[0] === 'generator')!;
      const proxy = ws.find((w) => (w.pod.containers[0].args as string[])[0] === 'proxy')!;
      const g = parseFlags((gen.pod.containers[0].args as string[]).slice(1), generatorFlags);
      const p = parseFlags((proxy.pod.containers[0].args as string[]).slice(1), proxyFlags);
      const mounts = proxy.pod.containers[0].volumeMounts as { name: string; mountPath: string }[];
      const volumes = proxy.pod.volumes as K8sObject[];
      const volumeAt = (dir: string) => {
        const m = mounts.find((x) => x.mountPath.replace(/\/$/, '') === dir.replace(/\/$/, ''));
        expect(m, `${file}: nothing mounted at ${dir}`).to.not.equal(undefined);
        return volumes.find((v) => v.name === m!.name)!;
      };
      expect(volumeAt(g['tls-mount-dir']!).secret?.secretName, `${file}: upstream TLS`).to.equal(g['output-secret']);
      expect(volumeAt(g['resolver-client-dir']!).secret?.secretName, `${file}: resolver client certificate`).to.equal('endpoint-resolver-client-cert');
      const configDir = path.posix.dirname(p.config!);
      expect(volumeAt(configDir).configMap?.name, `${file}: config`).to.equal(g['output-configmap']);
    }
  });
});
