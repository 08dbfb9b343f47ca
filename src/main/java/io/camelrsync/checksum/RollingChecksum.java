package io.camelrsync.checksum;

/**
 * rsync's weak checksum (checksum.c get_checksum1): s1 sums the bytes as signed chars, s2 sums the running
 * s1; the value is (s1 & 0xffff) | (s2 << 16). Rolling keeps both halves so a window slides in O(1).
 */
public final class RollingChecksum {
    private int s1;
    private int s2;
    private int length;

    public void reset(byte[] buf, int off, int len) {
        int a = 0;
        int b = 0;
        int end = off + len;
        for (int i = off; i < end; i++) {
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
