// SIGKILL at every attach and detach step of macvlan and passthrough nics, then gc (crash.ts).
import { crashTest } from './crash.ts';

crashTest('macvlan');
crashTest('passthrough');
