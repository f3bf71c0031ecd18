// SIGKILL at every attach and detach step of network nics, then gc (crash.ts).
import { crashTest } from './crash.ts';

crashTest('network');
