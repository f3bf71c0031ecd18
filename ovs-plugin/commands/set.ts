// ovs.set {table, record, values}: v1 `ovs-vsctl set T R k=v ...` as one transaction; values
// already in place are not rewritten, so repeating it changes nothing.
import { ValidationError } from '../../lib/errors.ts';
import { typeName } from '../../lib/validate.ts';
import { argsOf, linkName, stringMap } from '../validate.ts';
import { COLUMNS, columnOps, parseSettings } from './columns.ts';
import { notFound } from './errors.ts';
import { waitNamed } from './ops.ts';
import type { Command } from './types.ts';
import { idOf } from './view.ts';

interface SetArgs { table: string; record: string; values: Record<string, string> }

/** ovs.set {table, record (name, or "." for Open_vSwitch), values} -> null. */
export const set: Command<SetArgs, null> = {
  usage: {
    summary: 'Set columns of a row (v1 set T R k=v); values in place are not rewritten; returns null.',
    args: [
      { name: 'table', required: true, type: Object.keys(COLUMNS).join(' | '), doc: 'the table' },
      { name: 'record', required: true, type: 'name | "."', doc: 'the row by name; "." for Open_vSwitch' },
      { name: 'values', required: true, type: '{column[:key]: string}', doc: 'columns to set, checked against vswitch.ovsschema' },
    ],
    example: { table: 'Interface', record: 'backplane', values: { mtu_request: '2000' } },
  },
  validate(raw) {
    const o = argsOf(raw, set.usage.args);
    if (typeof o.table !== 'string' || !COLUMNS[o.table]) {
      throw new ValidationError('table', `must be one of ${Object.keys(COLUMNS).join(', ')}, got ${typeName(o.table)}`);
    }
    const record = o.table === 'Open_vSwitch' ? (o.record === '.' ? '.' : badRecord()) : linkName('record', o.record);
    const values = stringMap('values', o.values, { nonEmpty: true });
    parseSettings(o.table, values, 'values');
    return { table: o.table, record, values };
  },
  plan: (a) => (view) => {
    const claims = [`${a.table}:${a.record}`];
    const row = a.table === 'Open_vSwitch' ? view.root() : view.byName(a.table, a.record);
    if (!row) throw notFound(`${a.table} ${a.record} does not exist`, { table: a.table, record: a.record });
    const guard = a.table === 'Open_vSwitch' ? [] : [waitNamed(a.table, idOf(row), a.record)];
    return { ops: [...guard, ...columnOps(a.table, idOf(row), row, a.values)], result: null, claims };
  },
};

function badRecord(): never {
  throw new ValidationError('record', 'the Open_vSwitch table has one record, "."');
}
