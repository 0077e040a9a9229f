#!/usr/bin/env node
import { requireModernNode } from '@colinux/protocol/node-guard';
requireModernNode('colinux-monitor-core');
await import('../src/main.ts');
