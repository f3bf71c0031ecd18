// The `ovs.*` commands' errors, as the registry (lib/errors.ts) defines them; the planners
// import them from here so that they read as part of the command layer.
export { busy, conflict, exists, notFound, notOwned } from '../../lib/errors.ts';
