#!/usr/bin/env node
/** The one entry point: `hcp-metrics-proxy <command> [flags]`. */
import { errorMessage } from './common/errors.js';

type Command = (argv: string[]) => Promise<void>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  proxy: { summary: 'serve the metrics proxy (HTTPS)', load: async () => (await import('./proxy/command.js')).runProxy },
  resolver: { summary: 'serve the endpoint resolver (HTTPS, client certificates required)', load: async () => (await import('./resolver/command.js')).runResolver },
  generator: { summary: 'write the proxy configuration from the namespace\'s monitors (and manage certificates)', load: async () => (await import('./generator/command.js')).runGenerator },
  forwarder: { summary: "forward TCP to the proxy's Route from the guest cluster (TLS passes through)", load: async () => (await import('./forwarder/command.js')).runForwarder },
  demo: { summary: 'run a local demo: a simulated control plane behind the proxy', load: async () => (await import('./demo/command.js')).runDemo },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: hcp-metrics-proxy <command> [flags]\n\ncommands:\n${lines.join('\n')}\n\nRun 'hcp-metrics-proxy <command> --help' for the flags of a command.`;
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`hcp-metrics-proxy: unknown command '${name}'\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  await (await cmd.load())(rest);
}

main().catch((err: unknown) => {
  console.error(`hcp-metrics-proxy: ${errorMessage(err)}`);
  process.exitCode = 1;
});
