// The planners' errors (what `ovs.*` commands and nic kinds answer when OVSDB's state refuses a
// plan), as the registry (lib/errors.ts) defines them.
export { busy, conflict, exists, notFound, notOwned } from '../../lib/errors.ts';
