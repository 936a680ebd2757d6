import { expect } from 'chai';
import { classifyRules, filterKeeps, relabel } from '../../../proxy/relabel/index.js';
import type { RelabelRule } from '../../../proxy/relabel/types.js';
import { compile } from './helpers.js';

describe('relabel: classification', () => {
  it('none: no rules', () => {
    expect(classifyRules([]).kind).to.equal('none');
  });

  it('nameOnly: only keep/drop on exactly [__name__]', () => {
    const c = classifyRules(compile({ sourceLabels: ['__name__'], regex: 'etcd_.*', action: 'keep' }, { sourceLabels: ['__name__'], separator: ',', regex: '.*_bucket', action: 'Drop' }));
    expect(c.kind).to.equal('nameOnly');
    if (c.kind !== 'nameOnly') return;
    expect(c.keep('etcd_server_has_leader')).to.equal(true);
    expect(c.keep('etcd_disk_wal_fsync_duration_seconds_bucket')).to.equal(false);
    expect(c.keep('go_goroutines')).to.equal(false);
    expect(c.keep('xetcd_a')).to.equal(false); // anchored
  });

  it('nameOnly: agrees with relabel() and caches the verdict per name', () => {
    const rules = compile({ sourceLabels: ['__name__'], regex: 'apiserver_request_total|apiserver_storage_objects', action: 'keep' });
    const c = classifyRules(rules);
    expect(c.kind).to.equal('nameOnly');
    if (c.kind !== 'nameOnly') return;
    const regex = rules[0]!.regex;
    let calls = 0;
    const test = regex.test.bind(regex);
    regex.test = (s: string) => {
      calls++;
      return test(s);
    };
    for (const name of ['apiserver_request_total', 'apiserver_storage_objects', 'process_cpu_seconds_total']) {
      expect(c.keep(name), name).to.equal(relabel(new Map([['__name__', name]]), rules));
    }
    calls = 0;
    expect(c.keep('apiserver_request_total')).to.equal(true);
    expect(c.keep('apiserver_request_total')).to.equal(true);
    expect(c.keep('process_cpu_seconds_total')).to.equal(false);
    expect(calls).to.equal(0);
  });

  it('filter: keep/drop/keepequal/dropequal reading other labels', () => {
    expect(classifyRules(compile({ sourceLabels: ['__name__'], regex: 'a', action: 'keep' }, { sourceLabels: ['code'], regex: '5..', action: 'drop' })).kind).to.equal('filter');
    expect(classifyRules(compile({ sourceLabels: ['__name__', 'le'], regex: 'a;1', action: 'keep' })).kind).to.equal('filter');
    expect(classifyRules(compile({ sourceLabels: ['a'], targetLabel: 'b', action: 'keepequal' })).kind).to.equal('filter');
    expect(classifyRules(compile({ sourceLabels: ['__name__'], targetLabel: 'b', action: 'dropequal' })).kind).to.equal('filter');
  });

  it('general: any rule that can change labels', () => {
    const changers: unknown[] = [
      { targetLabel: 'x', replacement: 'y' },
      { sourceLabels: ['a'], targetLabel: 'h', action: 'hashmod', modulus: 2 },
      { regex: 'a', action: 'labelmap' },
      { regex: 'a', action: 'labeldrop' },
      { regex: 'a', action: 'labelkeep' },
      { sourceLabels: ['a'], targetLabel: 'b', action: 'lowercase' },
      { sourceLabels: ['a'], targetLabel: 'b', action: 'uppercase' },
    ];
    for (const rule of changers) {
      expect(classifyRules(compile({ sourceLabels: ['__name__'], regex: 'a', action: 'keep' }, rule)).kind, JSON.stringify(rule)).to.equal('general');
    }
  });
});

describe('relabel: filterKeeps', () => {
  const rules = compile(
    { sourceLabels: ['__name__'], regex: 'apiserver_.*', action: 'keep' },
    { sourceLabels: ['verb', 'code'], separator: '/', regex: 'WATCH/.*|.*/5..', action: 'drop' },
    { sourceLabels: ['resource'], targetLabel: 'group', action: 'dropequal' },
    { sourceLabels: ['scope'], targetLabel: 'expected_scope', action: 'keepequal' },
  );
  const samples: Record<string, string>[] = [
    { __name__: 'apiserver_request_total', verb: 'GET', code: '200', resource: 'pods' },
    { __name__: 'apiserver_request_total', verb: 'WATCH', code: '200', resource: 'pods' },
    { __name__: 'apiserver_request_total', verb: 'GET', code: '503', resource: 'pods' },
    { __name__: 'apiserver_request_total', verb: 'GET', code: '200', resource: 'x', group: 'x' },
    { __name__: 'apiserver_request_total', code: '200', resource: 'pods' }, // missing verb and group
    { __name__: 'apiserver_request_total', code: '200' }, // resource and group both missing: equal
    { __name__: 'apiserver_request_total', verb: 'GET', code: '200', resource: 'pods', scope: 'cluster', expected_scope: 'cluster' },
    { __name__: 'apiserver_request_total', verb: 'GET', code: '200', resource: 'pods', scope: 'cluster' },
    { __name__: 'etcd_db_total_size_in_bytes' },
  ];

  it('decides like relabel() on a Map, reading missing labels as ""', () => {
    const verdicts = samples.map((s) => filterKeeps(rules, (n) => s[n] ?? ''));
    expect(verdicts).to.deep.equal(samples.map((s) => relabel(new Map(Object.entries(s)), rules)));
    expect(verdicts).to.deep.equal([true, false, false, false, true, false, true, false, false]);
  });

  it('works with hand-built rules (plan derived lazily)', () => {
    const rule: RelabelRule = { action: 'keep', sourceLabels: ['a', 'b'], separator: '+', targetLabel: '', regex: /^(?:1\+2)$/, regexSource: '1\\+2', modulus: 0, replacement: '$1' };
    expect(filterKeeps([rule], (n) => ({ a: '1', b: '2' })[n] ?? '')).to.equal(true);
    expect(filterKeeps([rule], (n) => ({ a: '1' })[n] ?? '')).to.equal(false);
  });
});
