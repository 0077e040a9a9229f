#!/usr/bin/env node
import { requireModernNode } from '@colinux/protocol/node-guard';
requireModernNode('colinux-bare-metal');
await import('../src/bare-metal/main.ts');
