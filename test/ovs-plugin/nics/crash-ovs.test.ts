// SIGKILL at every attach and detach step of vlan and vxlan nics, then gc (crash.ts).
import { crashTest } from './crash.ts';

crashTest('vlan');
crashTest('vxlan');
