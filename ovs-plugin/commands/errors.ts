// Errors of the `ovs.*` commands, each with a stable code (tests and clients match on `code`).
import { AppError } from '../../lib/errors.ts';

/** The request contradicts what exists (tag on another master, name bound to another tag). */
export const conflict = (message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('ECONFLICT', message, details);

/** Something the command needs does not exist (master bridge, record). */
export const notFound = (message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('ENOTFOUND', message, details);

/** The row to create exists and `may_exist` was not given. */
export const exists = (message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('EEXIST', message, details);

/** A delete would remove a row this plugin did not create (no owner tag). */
export const notOwned = (message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('ENOTOWNED', message, details);

/** A delete would cut ports that are still in use. */
export const busy = (message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('EBUSY', message, details);
