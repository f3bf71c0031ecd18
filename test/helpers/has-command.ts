// Whether a program the tests need is on PATH (`command -v`), for their skip conditions.
import { execFileSync } from 'node:child_process';

/** True when `cmd` is found on PATH. */
export const has = (cmd: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
