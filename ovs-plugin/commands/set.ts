// ovs.set {table, record, values}: v1 `ovs-vsctl set T R k=v ...` as one transaction; values
// already in place are not rewritten, so repeating it changes nothing. Only rows we created
// (and the shared Open_vSwitch row) are changed: another's bridge or port is not ours to edit.
import { ValidationError } from '../../lib/errors.ts';
import { parseLinkName, typeName } from '../../lib/validate.ts';
import { argsOf, parseStringMap, usageOf } from '../validate.ts';
import { ARGS } from './wire.ts';
import { isTable } from '../ovsdb/rows.ts';
import { planSet, type ParsedSet } from '../planners/set.ts';
import { parseSettings, SETTABLE, SETTABLE_TABLES } from '../planners/columns.ts';
import { derivedForm } from '../planners/names.ts';
import type { PlanCommand } from './types.ts';

/** ovs.set {table, record (name, or "." for Open_vSwitch), values} -> null. */
export const set: PlanCommand<ParsedSet, null> = {
  mode: 'plan',
  usage: usageOf(
    ARGS['ovs.set'],
    'Set columns of a row (v1 set T R k=v); values in place are not rewritten; returns null.',
    { table: 'Interface', record: 'backplane', values: { mtu_request: '2000' } },
  ),
  validate(raw) {
    const o = argsOf(raw, ARGS['ovs.set']);
    const table = o.table;
    if (typeof table !== 'string' || !isTable(table) || !SETTABLE.has(table)) {
      throw new ValidationError('table', `must be one of ${SETTABLE_TABLES.join(', ')}, got ${typeName(table)}`);
    }
    const record =
      table === 'Open_vSwitch' ? (o.record === '.' ? '.' : badRecord()) : parseLinkName('record', o.record);
    const form = table === 'Port' || table === 'Interface' ? derivedForm(record) : undefined;
    if (form) throw new ValidationError('record', `${record} is ${form}: vlan-ensure/vxlan-ensure manage it`);
    return {
      table,
      record,
      values: parseSettings(table, parseStringMap('values', o.values, { nonEmpty: true }), 'values'),
    };
  },
  plan: planSet,
};

function badRecord(): never {
  throw new ValidationError('record', 'the Open_vSwitch table has one record, "."');
}
