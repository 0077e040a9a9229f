#!/usr/bin/env node
import { requireModernNode } from '@colinux/protocol/node-guard';
requireModernNode('colinux-console-nt');
await import('../src/main.ts');
