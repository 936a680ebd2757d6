/** `hcp-metrics-proxy resolver` flag handling: every missing or wrong input names itself. */
import { expect } from 'chai';
import { runResolver } from '../../resolver/command.js';

const fail = (argv: string[]) =>
  runResolver(argv).then(
    () => expect.fail('expected an error'),
    (e: Error) => e.message,
  );

describe('resolver: command', () => {
  it('requires the TLS files, saying why', async () => {
    expect(await fail(['--namespace', 'x'])).to.match(/missing required flag\(s\): --tls-cert-file, --tls-key-file, --client-ca-file \(the resolver hands out pod IPs/);
  });

  it('names an unknown flag and a bad --stale-after', async () => {
    expect(await fail(['--namespce', 'x'])).to.match(/unknown flag --namespce/);
    const tls = ['--tls-cert-file', 'a', '--tls-key-file', 'b', '--client-ca-file', 'c', '--namespace', 'ns'];
    expect(await fail([...tls, '--stale-after', '0'])).to.match(/--stale-after must be a positive number of seconds/);
  });

  it('needs a namespace from --namespace or MY_NAMESPACE', async () => {
    const saved = process.env.MY_NAMESPACE;
    delete process.env.MY_NAMESPACE;
    try {
      expect(await fail(['--tls-cert-file', 'a', '--tls-key-file', 'b', '--client-ca-file', 'c'])).to.match(/no namespace: give --namespace or set MY_NAMESPACE/);
    } finally {
      if (saved !== undefined) process.env.MY_NAMESPACE = saved;
    }
  });
});
