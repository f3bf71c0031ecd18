// Entry point of the `ovs-plugin` (filled in by the plugin issue).
console.log('ovs-plugin: not built yet');
