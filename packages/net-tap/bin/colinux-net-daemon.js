#!/usr/bin/env node
import { requireModernNode } from '@colinux/protocol/node-guard';
requireModernNode('colinux-net-daemon');
await import('../src/main.ts');
