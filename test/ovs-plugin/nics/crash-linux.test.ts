// SIGKILL at every attach and detach step of bridge and default nics, then gc (crash.ts).
import { crashTest } from './crash.ts';

crashTest('bridge');
crashTest('default');
