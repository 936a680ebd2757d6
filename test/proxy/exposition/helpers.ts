import { mergePods } from '../../../proxy/exposition/merge.js';
import { PodExpositionParser, prepareRules } from '../../../proxy/exposition/parser.js';
import { renderToString } from '../../../proxy/exposition/serialize.js';
import { makeTargetLabels } from '../../../proxy/exposition/target.js';
import type { ExpositionFormat, PodExposition } from '../../../proxy/exposition/types.js';
import { compileRelabelConfigs } from '../../../proxy/relabel/index.js';
import type { RelabelConfig } from '../../../proxy/relabel/types.js';

export const POD_A: [string, string][] = [
  ['job', 'apiserver'],
  ['namespace', 'default'],
  ['service', 'kubernetes'],
  ['endpoint', 'https'],
  ['pod', 'kube-apiserver-a'],
  ['instance', '10.0.0.1:6443'],
];

export function parse(
  text: string,
  opts: { format?: ExpositionFormat; target?: [string, string][]; rules?: RelabelConfig[]; chunkSize?: number } = {},
): PodExposition {
  const p = new PodExpositionParser(opts.format ?? 'text', {
    target: makeTargetLabels(opts.target ?? [['job', 'j']]),
    rules: prepareRules(compileRelabelConfigs(opts.rules ?? [], 'rules')),
  });
  const bytes = Buffer.from(text);
  const size = Math.max(1, opts.chunkSize ?? bytes.length);
  for (let i = 0; i < bytes.length; i += size) p.push(bytes.subarray(i, i + size));
  return p.end();
}

/** Parse then render the pod alone, as the proxy would serve it. */
export function roundTrip(text: string, opts: Parameters<typeof parse>[1] = {}): string {
  const pod = parse(text, opts);
  return renderToString(mergePods([pod]), pod.format);
}
