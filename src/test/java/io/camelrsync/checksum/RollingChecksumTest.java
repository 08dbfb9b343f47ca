package io.camelrsync.checksum;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The word-at-a-time weak sum against rsync's definition (checksum.c get_checksum1), byte by byte. */
@Timeout(60)
class RollingChecksumTest {

    /** get_checksum1 as rsync defines it: signed chars, s1 the running sum, s2 the sum of s1. */
    private static int reference(byte[] buf, int off, int len) {
        int s1 = 0;
        int s2 = 0;
        for (int i = off; i < off + len; i++) {
            s1 += buf[i];
            s2 += s1;
        }
        return (s1 & 0xffff) | (s2 << 16);
    }

    @Test
    void equalsTheDefinitionAtEveryOffsetAndLength() {
        Random random = new Random(12);
        byte[] buf = new byte[140_000];
        random.nextBytes(buf);
        RollingChecksum sum = new RollingChecksum();
        for (int t = 0; t < 20_000; t++) {
            int off = random.nextInt(1000);
            int len = t < 300 ? t : random.nextInt(buf.length - off);
            sum.reset(buf, off, len);
            assertEquals(reference(buf, off, len), sum.value(), "offset " + off + " length " + len);
            assertEquals(len, sum.length());
        }
    }

    @Test
    void extremeBytesDoNotOverflowTheLanes() {
        RollingChecksum sum = new RollingChecksum();
        for (byte fill : new byte[] {(byte) 0x80, (byte) 0xff, 0x7f, 0, 1}) {
            byte[] buf = new byte[131_072 + 77];
            Arrays.fill(buf, fill);
            for (int len : new int[] {64, 128, 700, 16_384, 131_072, buf.length}) {
                sum.reset(buf, 0, len);
                assertEquals(reference(buf, 0, len), sum.value(), "fill " + fill + " length " + len);
            }
        }
        byte[] alternating = new byte[4096];
        for (int i = 0; i < alternating.length; i++) {
            alternating[i] = (byte) (i % 2 == 0 ? 0x7f : 0x80);
        }
        sum.reset(alternating, 3, 4000);
        assertEquals(reference(alternating, 3, 4000), sum.value());
    }

    @Test
    void rollingMatchesAFreshSumOfTheWindow() {
        Random random = new Random(7);
        byte[] buf = new byte[20_000];
        random.nextBytes(buf);
        int window = 700;
        RollingChecksum sum = new RollingChecksum();
        sum.reset(buf, 0, window);
        for (int i = 1; i + window <= buf.length; i++) {
            sum.roll(buf[i - 1], buf[i + window - 1]);
            if (i % 97 == 0) {
                assertEquals(reference(buf, i, window), sum.value(), "window at " + i);
            }
        }
        for (int i = buf.length - window; i < buf.length - 1; i++) {
            sum.trim(buf[i]);
            assertEquals(reference(buf, i + 1, buf.length - i - 1), sum.value(), "tail from " + i);
        }
    }
}
