import { helperMain } from '@colinux/client/helper';
import { serialHelper } from './serial-daemon.ts';

await helperMain(serialHelper);
