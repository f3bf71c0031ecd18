// Errors of the `nic.*` commands, each with a stable code (docs/ovs-plugin.md, nics section).
// Validation failures are ValidationError (EINVALID) naming the field; these are the others.
import { AppError } from '../../lib/errors.ts';

/** The nic asks for something that exists already (a name taken in the target). Names the field. */
export const nicExists = (field: string, message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('EEXIST', `${field}: ${message}`, { field, ...details });

/** The link or bridge is in use by another attachment, or by the node itself (zos's NIC). */
export const nicBusy = (field: string, message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('EBUSY', `${field}: ${message}`, { field, ...details });

/** A kind we know of but cannot provide here (zerotier: its software is in no registry we reach). */
export const unsupported = (field: string, message: string): AppError =>
  new AppError('EUNSUPPORTED', `${field}: ${message}`, { field });

/** No attachment of that name on that target. */
export const nicNotFound = (message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('ENOTFOUND', message, details);

/** The state file cannot be read as ours (corrupt, another version): nothing is changed. */
export const stateError = (message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('ESTATE', message, details);

/** The state file's lock was not granted in time (another process holds it). */
export const lockTimeout = (path: string, ms: number): AppError =>
  new AppError('ELOCKED', `${path}: lock not granted within ${ms} ms`, { path, ms });
