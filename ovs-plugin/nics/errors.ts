// Errors of the `nic.*` commands, as the registry (lib/errors.ts) defines them. Validation
// failures are ValidationError (EINVALID) naming the field; the others name it in `field` too.
import { busy, exists, notFound } from '../../lib/errors.ts';

/** EEXIST: the nic asks for something that exists already (a name taken in the target). */
export const nicExists = (field: string, message: string, details: Record<string, unknown> = {}) =>
  exists(`${field}: ${message}`, { field, ...details });

/** EBUSY: the link is in use by another attachment or by the node itself (zos's NIC), or the nic is being worked on. */
export const nicBusy = (field: string, message: string, details: Record<string, unknown> = {}) =>
  busy(`${field}: ${message}`, { field, ...details });

/** ENOTFOUND: no attachment of that name on that target. */
export const nicNotFound = (message: string, details: Record<string, unknown> = {}) => notFound(message, details);

export {
  badState as stateError,
  stateLocked as lockTimeout,
  poolExhausted,
  unsupported,
  ztJoin,
  ztStart,
} from '../../lib/errors.ts';
