// Entry point of the `internet` agent (filled in by the agent issue).
console.log('internet: not built yet');
