#!/usr/bin/env node
// Node version check, private compile cache, --version: packages/client/src/program.js.
import { startProgram } from '@colinux/client/program';
await startProgram('colinux-serial-daemon', import.meta.url, '../src/main.ts');
