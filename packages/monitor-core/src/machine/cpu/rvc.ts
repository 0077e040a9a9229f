// The C extension (unpriv spec ch. 16, RV64C): every 16-bit encoding is expanded once, at init,
// into its 32-bit equivalent and kept in a 256 KiB table, so the interpreter decodes one format.
// expandCompressed answers 0 for an illegal or reserved encoding.
import { RVC_TABLE } from './layout';

@inline function bits(c: u32, hi: u32, lo: u32): u32 {
  return (c >> lo) & ((1 << (hi - lo + 1)) - 1);
}
/** Sign-extend the low `n` bits of v. */
@inline function sext(v: u32, n: u32): i32 {
  return (<i32>(v << (32 - n))) >> (32 - n);
}
function iType(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32): u32 {
  return ((<u32>imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
function sType(imm: i32, rs2: u32, rs1: u32, f3: u32, op: u32): u32 {
  const u = <u32>imm;
  return (((u >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 31) << 7) | op;
}
function rType(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32): u32 {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
function bType(imm: i32, rs2: u32, rs1: u32, f3: u32): u32 {
  const u = <u32>imm;
  return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((u >> 1) & 15) << 8) | (((u >> 11) & 1) << 7) | 0x63;
}
function jType(imm: i32, rd: u32): u32 {
  const u = <u32>imm;
  return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) |
    (((u >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
}

const OP_LOAD: u32 = 0x03;
const OP_LOAD_FP: u32 = 0x07;
const OP_IMM: u32 = 0x13;
const OP_IMM_32: u32 = 0x1b;
const OP_STORE: u32 = 0x23;
const OP_STORE_FP: u32 = 0x27;
const OP: u32 = 0x33;
const OP_LUI: u32 = 0x37;
const OP_32: u32 = 0x3b;
const OP_JALR: u32 = 0x67;

function quadrant0(c: u32): u32 {
  const rdp = bits(c, 4, 2) + 8;
  const rs1p = bits(c, 9, 7) + 8;
  const off8 = (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6); // ld/sd/fld/fsd scaled offset
  const off4 = (bits(c, 12, 10) << 3) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 6); // lw/sw
  switch (bits(c, 15, 13)) {
    case 0: {
      const imm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 3);
      if (imm == 0) return 0;
      return iType(imm, 2, 0, rdp, OP_IMM); // c.addi4spn
    }
    case 1: return iType(off8, rs1p, 3, rdp, OP_LOAD_FP); // c.fld
    case 2: return iType(off4, rs1p, 2, rdp, OP_LOAD); // c.lw
    case 3: return iType(off8, rs1p, 3, rdp, OP_LOAD); // c.ld
    case 5: return sType(off8, rdp, rs1p, 3, OP_STORE_FP); // c.fsd
    case 6: return sType(off4, rdp, rs1p, 2, OP_STORE); // c.sw
    case 7: return sType(off8, rdp, rs1p, 3, OP_STORE); // c.sd
  }
  return 0;
}

function quadrant1(c: u32): u32 {
  const rd = bits(c, 11, 7);
  const imm6 = sext((bits(c, 12, 12) << 5) | bits(c, 6, 2), 6);
  const rdp = bits(c, 9, 7) + 8;
  const rs2p = bits(c, 4, 2) + 8;
  switch (bits(c, 15, 13)) {
    case 0: return iType(imm6, rd, 0, rd, OP_IMM); // c.addi (c.nop)
    case 1: return rd == 0 ? 0 : iType(imm6, rd, 0, rd, OP_IMM_32); // c.addiw
    case 2: return iType(imm6, 0, 0, rd, OP_IMM); // c.li
    case 3: {
      if (rd == 2) {
        const imm = sext((bits(c, 12, 12) << 9) | (bits(c, 6, 6) << 4) | (bits(c, 5, 5) << 6) |
          (bits(c, 4, 3) << 7) | (bits(c, 2, 2) << 5), 10);
        return imm == 0 ? 0 : iType(imm, 2, 0, 2, OP_IMM); // c.addi16sp
      }
      if (imm6 == 0) return 0;
      return ((<u32>imm6 & 0xfffff) << 12) | (rd << 7) | OP_LUI; // c.lui
    }
    case 4: {
      const shamt = (bits(c, 12, 12) << 5) | bits(c, 6, 2);
      switch (bits(c, 11, 10)) {
        case 0: return iType(shamt, rdp, 5, rdp, OP_IMM); // c.srli
        case 1: return iType(shamt | 0x400, rdp, 5, rdp, OP_IMM); // c.srai
        case 2: return iType(imm6, rdp, 7, rdp, OP_IMM); // c.andi
      }
      const f = bits(c, 6, 5);
      if (bits(c, 12, 12) == 0) {
        if (f == 0) return rType(0x20, rs2p, rdp, 0, rdp, OP); // c.sub
        if (f == 1) return rType(0, rs2p, rdp, 4, rdp, OP); // c.xor
        if (f == 2) return rType(0, rs2p, rdp, 6, rdp, OP); // c.or
        return rType(0, rs2p, rdp, 7, rdp, OP); // c.and
      }
      if (f == 0) return rType(0x20, rs2p, rdp, 0, rdp, OP_32); // c.subw
      if (f == 1) return rType(0, rs2p, rdp, 0, rdp, OP_32); // c.addw
      return 0;
    }
    case 5: {
      const off = sext((bits(c, 12, 12) << 11) | (bits(c, 11, 11) << 4) | (bits(c, 10, 9) << 8) |
        (bits(c, 8, 8) << 10) | (bits(c, 7, 7) << 6) | (bits(c, 6, 6) << 7) | (bits(c, 5, 3) << 1) |
        (bits(c, 2, 2) << 5), 12);
      return jType(off, 0); // c.j
    }
    default: {
      const off = sext((bits(c, 12, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6) |
        (bits(c, 4, 3) << 1) | (bits(c, 2, 2) << 5), 9);
      return bType(off, 0, rdp, bits(c, 13, 13)); // c.beqz (f3 0) / c.bnez (f3 1)
    }
  }
}

function quadrant2(c: u32): u32 {
  const rd = bits(c, 11, 7);
  const rs2 = bits(c, 6, 2);
  const ldsp = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6);
  const sdsp = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);
  switch (bits(c, 15, 13)) {
    case 0: return iType((bits(c, 12, 12) << 5) | rs2, rd, 1, rd, OP_IMM); // c.slli
    case 1: return iType(ldsp, 2, 3, rd, OP_LOAD_FP); // c.fldsp
    case 2: {
      if (rd == 0) return 0;
      const off = (bits(c, 12, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6);
      return iType(off, 2, 2, rd, OP_LOAD); // c.lwsp
    }
    case 3: return rd == 0 ? 0 : iType(ldsp, 2, 3, rd, OP_LOAD); // c.ldsp
    case 4: {
      if (bits(c, 12, 12) == 0) {
        if (rs2 == 0) return rd == 0 ? 0 : iType(0, rd, 0, 0, OP_JALR); // c.jr
        return rType(0, rs2, 0, 0, rd, OP); // c.mv
      }
      if (rs2 == 0) {
        if (rd == 0) return 0x00100073; // c.ebreak
        return iType(0, rd, 0, 1, OP_JALR); // c.jalr
      }
      return rType(0, rs2, rd, 0, rd, OP); // c.add
    }
    case 5: return sType(sdsp, rs2, 2, 3, OP_STORE_FP); // c.fsdsp
    case 6: return sType((bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6), rs2, 2, 2, OP_STORE); // c.swsp
    default: return sType(sdsp, rs2, 2, 3, OP_STORE); // c.sdsp
  }
}

export function expandCompressed(c: u32): u32 {
  const q = c & 3;
  if (q == 0) return quadrant0(c);
  if (q == 1) return quadrant1(c);
  if (q == 2) return quadrant2(c);
  return 0;
}

export function buildRvcTable(): void {
  for (let c: u32 = 0; c < 65536; c++) {
    const e = expandCompressed(c);
    // 0xffffffff (major opcode 31) decodes as illegal without a separate check in the loop.
    store<u32>(RVC_TABLE + (c << 2), e == 0 ? 0xffffffff : e);
  }
}
