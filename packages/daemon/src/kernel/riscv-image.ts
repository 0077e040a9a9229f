/**
 * The RISC-V Linux `Image` (arch/riscv/boot/Image, what `objcopy -O binary vmlinux` gives): a 64-byte
 * header at the start of the file, Documentation/arch/riscv/boot-image-header.rst:
 *
 *   0 code0, 4 code1 (u32), 8 text_offset, 16 image_size, 24 flags (u64), 32 version, 36 res1 (u32),
 *   40 res2 (u64), 48 magic "RISCV\0\0\0" (deprecated), 56 magic2 "RSC\x05", 60 res3 (u32).
 *
 * The image is loaded `text_offset` bytes above the start of RAM and entered at its first byte;
 * `image_size` is the memory it occupies, including .bss beyond the file's end. All little-endian.
 */
import { KERNEL_OFFSET_IN_RAM } from '@colinux/protocol';
import { KernelFormatError, type KernelPlan } from './plan.ts';

export const IMAGE_HEADER_SIZE = 64;
const MAGIC2 = [0x52, 0x53, 0x43, 0x05]; // "RSC\x05" at offset 56

export interface ImageHeader {
  textOffset: number;
  imageSize: number;
}

export function isRiscvImage(head: Uint8Array): boolean {
  return head.length >= IMAGE_HEADER_SIZE && MAGIC2.every((b, i) => head[56 + i] === b);
}

/** The header's load facts, checked: the text offset must be at or above where this machine loads kernels. */
export function parseImageHeader(head: Uint8Array): ImageHeader {
  if (!isRiscvImage(head)) throw new KernelFormatError('not a RISC-V Image (no "RSC\\x05" magic at offset 56)');
  const view = new DataView(head.buffer, head.byteOffset, IMAGE_HEADER_SIZE);
  const textOffset = view.getBigUint64(8, true);
  const imageSize = view.getBigUint64(16, true);
  if (textOffset < BigInt(KERNEL_OFFSET_IN_RAM) || textOffset >= 1n << 32n) {
    throw new KernelFormatError(`RISC-V Image text offset 0x${textOffset.toString(16)} is outside 0x${KERNEL_OFFSET_IN_RAM.toString(16)}..4 GiB`);
  }
  if (imageSize >= 1n << 32n) throw new KernelFormatError(`RISC-V Image size ${imageSize} is larger than 4 GiB`);
  return { textOffset: Number(textOffset), imageSize: Number(imageSize) };
}

/** Bytes of RAM above the kernel load address that an Image of `fileSize` bytes needs. */
export function imageSpan(h: ImageHeader, fileSize: number): number {
  return h.textOffset - KERNEL_OFFSET_IN_RAM + Math.max(fileSize, h.imageSize);
}

/** One section with the file's bytes at the text offset, then zero fill up to image_size (.bss). */
export function planImageLoad(bytes: Uint8Array): KernelPlan {
  const h = parseImageHeader(bytes);
  const offset = h.textOffset - KERNEL_OFFSET_IN_RAM;
  const pieces: KernelPlan['pieces'] = [{ name: 'Image', offset, size: bytes.length, data: bytes }];
  if (h.imageSize > bytes.length) pieces.push({ name: 'Image .bss', offset: offset + bytes.length, size: h.imageSize - bytes.length });
  return { format: 'RISC-V Image', pieces, entryOffset: offset, spanBytes: imageSpan(h, bytes.length) };
}
