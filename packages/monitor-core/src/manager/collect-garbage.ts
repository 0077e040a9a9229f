// A full garbage collection on demand. Loading a kernel leaves megabytes of dead buffers (stream
// chunks, reassembled frames) that an otherwise quiet manager would keep for a long time, since
// V8 collects when the heap grows, not when external buffers die; once freed, the allocator can
// reuse the space for the next monitor's load. `--expose-gc` only installs `gc` in contexts
// created after it is set, hence the new context; it changes nothing else.
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}
