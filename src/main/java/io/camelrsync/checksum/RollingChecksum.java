package io.camelrsync.checksum;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * rsync's weak checksum (checksum.c get_checksum1): s1 sums the bytes as signed chars, s2 sums the running
 * s1; the value is (s1 & 0xffff) | (s2 << 16). Rolling keeps both halves so a window slides in O(1).
 */
public final class RollingChecksum {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int GROUP = 64;
    private static final long FLIP = 0x8080808080808080L;
    private static final long EVEN = 0x00ff00ff00ff00ffL;
    private static final long ONES = 0x0001000100010001L;
    /** Weights of bytes 0, 2, 4, 6 (8, 6, 4, 2) and 1, 3, 5, 7 (7, 5, 3, 1), lane k's at bit 48 - 16k. */
    private static final long EVEN_WEIGHTS = 8L << 48 | 6L << 32 | 4L << 16 | 2L;
    private static final long ODD_WEIGHTS = 7L << 48 | 5L << 32 | 3L << 16 | 1L;

    private int s1;
    private int s2;
    private int length;

    public void reset(byte[] buf, int off, int len) {
        int a = 0;
        int b = 0;
        int i = off;
        int end = off + len;
        // 64 bytes at a time in 16-bit lanes of longs (SIMD within a register): rsync sums with SSE2/AVX2, and the
        // byte loop ran at a third of this speed under C1 (the launcher's compiler for pushes and pulls), a
        // quarter of a 256 MiB pull's time. Bytes are flipped to unsigned (b + 128) and the offsets taken off
        // at the end. In a group of 8 words, lanes of ae/ao sum the even/odd bytes (each lane <= 8 * 255),
        // lanes of bb sum ae + ao as they stood before each word (the s1 seen by later words; <= 28 * 510);
        // multiplying by a constant adds the four lanes, weighted, into the top lane, all below 65536.
        for (; end - i >= GROUP; i += GROUP) {
            long ae = 0;
            long ao = 0;
            long bb = 0;
            for (int k = i; k < i + GROUP; k += 8) {
                long x = (long) LONGS.get(buf, k) ^ FLIP;
                bb += ae + ao;
                ae += x & EVEN;
                ao += (x >>> 8) & EVEN;
            }
            int sum = (int) (((ae + ao) * ONES) >>> 48);
            int weighted = (int) ((ae * EVEN_WEIGHTS) >>> 48) + (int) ((ao * ODD_WEIGHTS) >>> 48);
            int before = (int) ((bb * ONES) >>> 48);
            // s2 gains, per word, 8 * s1 before it plus its bytes weighted 8..1; s1 gains its bytes
            b += GROUP * a + 8 * (before - 1024 * 28) + weighted - 128 * 36 * 8;
            a += sum - 128 * GROUP;
        }
        for (; i < end; i++) {
            a += buf[i];
            b += a;
        }
        s1 = a;
        s2 = b;
        length = len;
    }

    /** Slides the window one byte: drops {@code out}, appends {@code in}. */
    public void roll(byte out, byte in) {
        s1 += in - out;
        s2 += s1 - length * out;
    }

    /** Shrinks the window from the front (at the end of the file, where no byte comes in). */
    public void trim(byte out) {
        s1 -= out;
        s2 -= length * out;
        length--;
    }

    public int value() {
        return (s1 & 0xffff) | (s2 << 16);
    }

    public int length() {
        return length;
    }
}
