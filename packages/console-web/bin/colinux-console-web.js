#!/usr/bin/env node
// Node version check, private compile cache, --version: packages/protocol/src/program.js.
import { startProgram } from '@colinux/protocol/program';
await startProgram('colinux-console-web', import.meta.url, '../src/main.ts');
