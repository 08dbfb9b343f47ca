package io.camelrsync.receiver;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.checksum.RollingChecksum;
import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.sender.SumHead;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** The generator's side of a delta: block sizes for a basis file and its per-block sums (generator.c). */
public final class BasisSums {
    static final int BLOCK_SIZE = 700;
    static final int SHORT_SUM_LENGTH = 2;
    static final int SUM_LENGTH = 16;
    static final int BLOCKSUM_BIAS = 10;

    private BasisSums() {
    }

    /**
     * sum_sizes_sqroot: 700-byte blocks up to 700^2 bytes, else the square root rounded down to a multiple of 8
     * (at most 128 KiB); strong sums as short as the file's size allows in phase 0, full length in the redo.
     */
    public static SumHead head(long len, boolean redo, int digestLength) {
        int blength;
        if (len <= (long) BLOCK_SIZE * BLOCK_SIZE) {
            blength = BLOCK_SIZE;
        } else {
            int c = 1;
            for (long l = len; (l >>= 2) != 0; ) {
                c <<= 1;
            }
            if (c < 0 || c >= Limits.MAX_BLOCK_SIZE) {
                blength = Limits.MAX_BLOCK_SIZE;
            } else {
                blength = 0;
                do {
                    blength |= c;
                    if (len < (long) blength * blength) {
                        blength &= ~c;
                    }
                    c >>= 1;
                } while (c >= 8);
                blength = Math.max(blength, BLOCK_SIZE);
            }
        }
        int maxS2 = Math.min(SUM_LENGTH, digestLength);
        int s2length;
        if (redo) {
            s2length = maxS2;
        } else {
            int b = BLOCKSUM_BIAS;
            for (long l = len; (l >>= 1) != 0; ) {
                b += 2;
            }
            for (int c = blength; (c >>= 1) != 0 && b != 0; ) {
                b--;
            }
            s2length = (b + 1 - 32 + 7) / 8;
            s2length = Math.min(Math.max(s2length, SHORT_SUM_LENGTH), maxS2);
        }
        int count = (int) ((len + blength - 1) / blength);
        int remainder = (int) (len % blength);
        return new SumHead(count, blength, s2length, remainder);
    }

    /** Writes the head and every block's weak and truncated strong sum of the basis file. */
    public static void write(WireOutput out, SumHead head, FileChannel basis, ChecksumAlgorithm.BlockSummer summer)
            throws IOException {
        head.write(out);
        byte[] block = new byte[Math.max(head.blockLength(), 1)];
        byte[] strong = new byte[Limits.MAX_DIGEST];
        long offset = 0;
        for (int i = 0; i < head.count(); i++) {
            int n = head.blockLength(i);
            ByteBuffer bb = ByteBuffer.wrap(block, 0, n);
            while (bb.hasRemaining()) {
                if (basis.read(bb, offset + bb.position()) < 0) {
                    java.util.Arrays.fill(block, bb.position(), n, (byte) 0); // shrank: the sums just miss
                    break;
                }
            }
            offset += n;
            RollingChecksum weak = new RollingChecksum();
            weak.reset(block, 0, n);
            out.writeInt(weak.value());
            summer.sum(block, 0, n, strong);
            out.write(strong, 0, head.strongLength());
        }
    }
}
