#!/usr/bin/env node
import { requireModernNode } from '@colinux/protocol/node-guard';
requireModernNode('colinux-serial-daemon');
await import('../src/main.ts');
