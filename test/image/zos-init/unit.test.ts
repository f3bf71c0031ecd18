// The fallback init's unit parser: the fields our units and dhcp-zos use, zinit's shell-style
// split, and clear errors naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parseUnit, splitWords } from '../../../image/zos-init/unit.ts';

test('every unit the image ships parses, with the exec zinit would run', () => {
  for (const dir of ['zinit', 'image/units']) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      const u = parseUnit(f.slice(0, -5), readFileSync(`${dir}/${f}`, 'utf8'));
      assert.ok(u.exec.length > 0, f);
      assert.equal(u.log, 'stdout', f);
    }
  }
  const ovsdb = parseUnit('ovsdb', readFileSync('zinit/ovsdb.yaml', 'utf8'));
  assert.equal(ovsdb.exec[0], 'sh');
  assert.equal(ovsdb.exec[1], '-c');
  assert.equal(ovsdb.exec.length, 3);
  assert.match(ovsdb.exec[2]!, /ovsdb-tool transact "\$db" '\["Open_vSwitch"/);
  assert.deepEqual(ovsdb.after, ['internet']);
  assert.ok(ovsdb.test);
  const internet = parseUnit('internet', readFileSync('zinit/internet.yaml', 'utf8'));
  assert.deepEqual(internet.exec, ['node', '/usr/lib/zos/internet.js']);
  assert.equal(internet.oneshot, true);
});

test('dhcp-zos as the agent writes it: env map, no after', () => {
  const u = parseUnit(
    'dhcp-zos',
    '# Written by internet\n' +
      'exec: udhcpc -f -i zos -r 10.0.2.15 -s /run/internet/dhcp-zos.script\n' +
      'env:\n  RESOLV_CONF: /etc/resolv.conf\nlog: stdout\n',
  );
  assert.deepEqual(u.exec, ['udhcpc', '-f', '-i', 'zos', '-r', '10.0.2.15', '-s', '/run/internet/dhcp-zos.script']);
  assert.deepEqual(u.env, { RESOLV_CONF: '/etc/resolv.conf' });
  assert.deepEqual(u.after, []);
  assert.equal(u.oneshot, false);
});

test('inline lists, quoted scalars, dir', () => {
  const u = parseUnit('x', 'exec: \'a b\'\nafter: [p, "q"]\ndir: /tmp\noneshot: true\n');
  assert.deepEqual(u.exec, ['a', 'b']);
  assert.deepEqual(u.after, ['p', 'q']);
  assert.equal(u.dir, '/tmp');
});

test('bad units are refused naming the field', () => {
  assert.throws(() => parseUnit('x', 'log: stdout\n'), /x\.yaml: field exec is required/);
  assert.throws(() => parseUnit('x', "exec: sh -c 'unbalanced\n"), /field exec is not a command line/);
  assert.throws(() => parseUnit('x', 'exec: true\nlog: null\n'), /field log must be none, ring or stdout/);
  assert.throws(() => parseUnit('x', 'exec: true\n  - stray\nnot yaml\n'), /cannot read line/);
});

test('splitWords: quotes, backslashes, no expansion', () => {
  assert.deepEqual(splitWords(`a "b c" 'd $e' f\\ g`), ['a', 'b c', 'd $e', 'f g']);
  assert.deepEqual(splitWords(`'x'"'"'y'`), ["x'y"]);
  assert.deepEqual(splitWords(''), []);
  assert.equal(splitWords('"open'), null);
});
