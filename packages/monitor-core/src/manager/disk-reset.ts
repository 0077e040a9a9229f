// `colinux-ctl disk reset <overlay.qcow2>`: a powered-off VM's overlay emptied again (qcow2.md
// "Snapshots"). The image is opened and locked as a VM would (image-lock.ts), so an overlay that a
// running VM (ours or QEMU) uses is refused, and stays locked while it is rewritten.
import fs from 'node:fs';
import { ImageInUseError, openImage } from '../machine/devices/virtio/block.ts';
import { imageFormat } from '../machine/devices/virtio/disk-image.ts';
import { resetQcow2Overlay } from '../machine/devices/virtio/qcow2.ts';

/** Empties the overlay at `file`; returns its backing file's name. Throws one line. */
export function resetOverlay(file: string): { backing: string } {
  if (imageFormat(file) !== 'qcow2') throw new Error(`${file}: only a qcow2 overlay (.qcow2) can be reset`);
  let fd: number;
  try {
    fd = openImage({ index: 0, path: file, readOnly: false }).fd;
  } catch (err) {
    if (err instanceof ImageInUseError) {
      fs.closeSync(err.fd);
      throw new Error(`${file} is in use by a running VM: power it off first`);
    }
    throw new Error((err as Error).message.replace(/^cobd0: /, ''));
  }
  try {
    return { backing: resetQcow2Overlay(fd, file) };
  } finally {
    fs.closeSync(fd);
  }
}
