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
import { forwarderFlags } from '../../forwarder/command.js';
import { GUEST_OBJECTS } from '../../generator/guest/objects.js';
import { proxyFlags } from '../../proxy/command.js';
import { resolverFlags } from '../../resolver/command.js';
import { EXAMPLE_CLUSTERS, type K8sObject } from './helpers.js';

const SPECS: Record<string, FlagSpecs> = { proxy: proxyFlags, resolver: resolverFlags, generator: generatorFlags, forwarder: forwarderFlags };

/** Flags whose value is a path the container must be able to read. */
const PATH_FLAGS = ['config', 'tls-cert-file', 'tls-key-file', 'client-ca-file', 'kubeconfig', 'sre-config', 'guest-kubeconfig', 'upstream-file'];

/**
 * Guest-side flags fixed by contract (DESIGN.md §11) whose parsers are built elsewhere: the `forwarder`
 * subcommand and the generator's guest sync flags. Until those flags exist in this build they are checked
 * against the contract here and left out of parsing; once they exist they are parsed like every other flag.
 */
const GUEST_SYNC_FLAGS = ['guest-kubeconfig', 'guest-namespace'];
const hasGuestSyncFlags = GUEST_SYNC_FLAGS.every((f) => f in generatorFlags);

/** `--name=value` or `--name value` of `flag` in args, else undefined. */
function flagValue(args: string[], flag: string): string | undefined {
  const i = args.findIndex((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  if (i < 0) return undefined;
  return args[i] === `--${flag}` ? args[i + 1] : args[i]!.slice(flag.length + 3);
}

/** args without the guest sync flags (and their values), when this build's generator does not know them yet. */
function parsableArgs(sub: string, args: string[]): string[] {
  if (sub !== 'generator' || hasGuestSyncFlags) return args;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const f = GUEST_SYNC_FLAGS.find((g) => a === `--${g}` || a.startsWith(`--${g}=`));
    if (f === undefined) out.push(a);
    else if (a === `--${f}`) i++;
  }
  return out;
}

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

  it('covers the proxy, the resolver, both generator modes and the guest forwarder', () => {
    const seen = new Set(workloads(objs).flatMap((w) => (w.pod.containers as K8sObject[]).map((c) => `${w.kind}/${c.args[0]}`)));
    expect([...seen].sort()).to.deep.equal(['Deployment/forwarder', 'Deployment/generator', 'Deployment/proxy', 'Deployment/resolver', 'Job/generator']);
  });

  it('the forwarder runs with the contract arguments, relaying to the Route host of its cluster', () => {
    const forwarders = workloads(objs).filter((w) => w.pod.containers[0].args[0] === 'forwarder');
    expect(forwarders.map((w) => w.file).sort()).to.deep.equal(['prod-east-1.guest.k8s.yaml', 'prod-west-2.guest.k8s.yaml']);
    for (const w of forwarders) {
      const routeHost = objs.find((o) => o.file === w.file.replace('.guest.k8s.yaml', '.k8s.yaml') && o.obj.kind === 'Route')!.obj.spec.host as string;
      const c = w.pod.containers[0];
      expect(c.command, w.file).to.deep.equal(['hcp-metrics-proxy']);
      expect(c.args, w.file).to.deep.equal(['forwarder', '--listen', '0.0.0.0:8443', '--upstream', `${routeHost}:443`, '--health-listen', '0.0.0.0:8080']);
      const ports = Object.fromEntries((c.ports as K8sObject[]).map((p) => [p.name, p.containerPort]));
      expect(ports).to.deep.equal({ https: 8443, health: 8080 });
      expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'health', scheme: 'HTTP' });
      expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'health', scheme: 'HTTP' });
    }
  });

  it('the generator gets the guest sync flags exactly when guest sync is on, pointing into a mounted Secret', () => {
    const gens = workloads(objs).filter((w) => w.pod.containers[0].args[0] === 'generator');
    const byFile = Object.fromEntries(gens.map((w) => [w.file, w.pod]));
    const east = byFile['prod-east-1.k8s.yaml']!.containers[0];
    expect(flagValue(east.args, 'guest-kubeconfig')).to.equal('/etc/guest-kubeconfig/kubeconfig');
    expect(flagValue(east.args, 'guest-namespace')).to.equal('openshift-monitoring');
    // Guest sync writes tlsConfig.serverName from the Route host; it tells the auth mode from the token Secret
    // the guest chart creates in bearer-token mode (--guest-auth auto), whose name it knows.
    const routeHost = objs.find((o) => o.file === 'prod-east-1.k8s.yaml' && o.obj.kind === 'Route')!.obj.spec.host as string;
    expect(flagValue(east.args, 'route-host')).to.equal(routeHost);
    expect(flagValue(east.args, 'guest-auth')).to.equal(undefined);
    const tokenSecret = objs.find((o) => o.file === 'prod-east-1.guest.k8s.yaml' && o.obj.kind === 'Secret')!.obj.metadata.name as string;
    expect(tokenSecret).to.equal(GUEST_OBJECTS.defaultTokenSecret);
    const vol = (byFile['prod-east-1.k8s.yaml']!.volumes as K8sObject[]).find((v) => v.name === (east.volumeMounts as K8sObject[]).find((m) => m.mountPath === '/etc/guest-kubeconfig')!.name)!;
    expect(vol.secret).to.deep.equal({ secretName: 'service-network-admin-kubeconfig', items: [{ key: 'kubeconfig', path: 'kubeconfig' }] });
    // prod-west-2 has guest.sync: false: the chart carries the PodMonitor, the generator stays out of the guest.
    const west = byFile['prod-west-2.k8s.yaml']!.containers[0];
    for (const f of GUEST_SYNC_FLAGS) expect(flagValue(west.args, f), f).to.equal(undefined);
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
        expect(() => (flags = parseFlags(parsableArgs(sub!, rest), specs!) as Record<string, unknown>), where).not.to.throw();
        for (const f of PATH_FLAGS) {
          const v = flags[f] ?? flagValue(rest, f);
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
      const gen = ws.find((w) => (w.pod.containers[0].args as string[])[0] === 'generator');
      if (!gen) continue; // a guest chart
      const proxy = ws.find((w) => (w.pod.containers[0].args as string[])[0] === 'proxy')!;
      const g = parseFlags(parsableArgs('generator', (gen.pod.containers[0].args as string[]).slice(1)), generatorFlags);
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
