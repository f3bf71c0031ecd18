// The planner of ovs.set: v1 `ovs-vsctl set T R k=v ...` as one transaction.
import type { Table } from '../ovsdb/rows.ts';
import { checkAgainstSwitch, columnOps, type Setting } from './columns.ts';
import { notFound, notOwned } from './errors.ts';
import { waitNamed } from './ops.ts';
import { mutates, type Planner } from './plan.ts';
import { isOwned } from './view.ts';

/** The validated arguments of ovs.set. */
export interface ParsedSet {
  table: Table;
  record: string;
  values: Setting[];
}

/** The planner of ovs.set: values in place are not rewritten; only our rows (and Open_vSwitch) change. */
export const planSet =
  (a: ParsedSet): Planner<null> =>
  (view) => {
    const claims = [`${a.table}:${a.record}`];
    const root = view.root();
    const row = a.table === 'Open_vSwitch' ? root : view.byName(a.table, a.record);
    if (!row) throw notFound(`${a.table} ${a.record} does not exist`, { table: a.table, record: a.record });
    if (root) checkAgainstSwitch(a.values, root);
    const changes = columnOps(a.table, view.raw(a.table, row._uuid)!, a.values);
    if (
      a.table !== 'Open_vSwitch' &&
      mutates(changes) &&
      !isOwned(row as { external_ids: ReadonlyMap<string, string> })
    ) {
      throw notOwned(`${a.table} ${a.record} was not created by ovs-plugin: its columns are not ours to change`, {
        table: a.table,
        record: a.record,
      });
    }
    const guard = a.table === 'Open_vSwitch' ? [] : [waitNamed(a.table, row._uuid, a.record)];
    return { ops: [...guard, ...changes], result: null, claims };
  };
