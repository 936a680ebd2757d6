/** The flag parser shared by every command: forms, kinds, and errors that name the flag. */
import { expect } from 'chai';
import { FlagError, flagsHelp, parseFlags, type FlagSpecs } from '../../common/flags.js';

const SPECS = {
  name: { kind: 'string', help: 'a name' },
  count: { kind: 'number', help: 'a count', default: 3 },
  ttl: { kind: 'seconds', help: 'a time', default: 60 },
  on: { kind: 'boolean', help: 'a switch' },
  items: { kind: 'list', help: 'some items', default: ['a'] },
} satisfies FlagSpecs;

describe('common: flags', () => {
  it('applies defaults and reads --name value and --name=value', () => {
    expect(parseFlags([], SPECS)).to.deep.equal({ help: false, name: undefined, count: 3, ttl: 60, on: false, items: ['a'] });
    const f = parseFlags(['--name', 'x', '--count=7', '--on', '--items', 'b,c', '--items=d'], SPECS);
    expect(f).to.include({ name: 'x', count: 7, on: true });
    expect(f.items, 'a list given replaces its default').to.deep.equal(['b', 'c', 'd']);
    expect(parseFlags(['--on=false'], SPECS).on).to.equal(false);
  });

  it('reads seconds as a number or a Prometheus duration', () => {
    const ttl = (v: string) => parseFlags([`--ttl=${v}`], SPECS).ttl;
    expect(ttl('90')).to.equal(90);
    expect(ttl('1.5')).to.equal(1.5);
    expect(ttl('2m')).to.equal(120);
    expect(ttl('1m30s')).to.equal(90);
    expect(ttl('500ms')).to.equal(0.5);
    expect(ttl('0')).to.equal(0);
    for (const bad of ['-1', '2 m', 'm', '1.5m', '']) {
      expect(() => ttl(bad), bad).to.throw(FlagError, `--ttl takes seconds or a duration such as 30s, 2m or 500ms, not '${bad}'`);
    }
  });

  it('names the flag in every error', () => {
    expect(() => parseFlags(['--nmae', 'x'], SPECS)).to.throw(FlagError, 'unknown flag --nmae');
    expect(() => parseFlags(['--name'], SPECS)).to.throw(FlagError, '--name needs a value');
    expect(() => parseFlags(['--count', 'many'], SPECS)).to.throw(FlagError, "--count takes a number, not 'many'");
    expect(() => parseFlags(['--on=yes'], SPECS)).to.throw(FlagError, "--on takes true or false, not 'yes'");
    expect(() => parseFlags(['stray'], SPECS)).to.throw(FlagError, "unexpected argument 'stray'");
  });

  it('lists every flag with its value kind and default in the help', () => {
    const help = flagsHelp('demo', SPECS);
    expect(help).to.include('--ttl DURATION').and.include('(default 60)').and.include('--items A,B').and.include('--count NUMBER');
  });
});
