package io.camelrsync.receiver;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.checksum.RollingChecksum;
import io.camelrsync.fs.FileReads;
import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.sender.SumHead;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;

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

    /** Below this many blocks one thread sums them; above, the work is split (the sender waits meanwhile). */
    private static final int PARALLEL_BLOCKS = 2048;

    /**
     * Writes the head and every block's weak and truncated strong sum of the basis file. Large files are summed
     * in slices on the common pool (blocks are independent); the sums go out in block order all the same.
     */
    public static void write(WireOutput out, SumHead head, FileChannel basis,
                             Supplier<ChecksumAlgorithm.BlockSummer> summers) throws IOException {
        head.write(out);
        int per = 4 + head.strongLength();
        int slices = head.count() < PARALLEL_BLOCKS ? 1
                : Math.min(4 * ForkJoinPool.getCommonPoolParallelism(), head.count() / (PARALLEL_BLOCKS / 4));
        if (slices <= 1) {
            byte[] sums = new byte[per * Math.max(head.count(), 0)];
            sumBlocks(head, basis, summers.get(), 0, head.count(), sums);
            out.write(sums, 0, sums.length);
            return;
        }
        int step = (head.count() + slices - 1) / slices;
        List<CompletableFuture<byte[]>> parts = new ArrayList<>();
        for (int from = 0; from < head.count(); from += step) {
            int first = from;
            int last = Math.min(head.count(), from + step);
            parts.add(CompletableFuture.supplyAsync(() -> {
                byte[] sums = new byte[per * (last - first)];
                try {
                    sumBlocks(head, basis, summers.get(), first, last, sums);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return sums;
            }));
        }
        for (CompletableFuture<byte[]> part : parts) {
            byte[] sums;
            try {
                sums = part.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof UncheckedIOException u ? u.getCause()
                        : new IOException("summing the basis failed", e.getCause());
            }
            out.write(sums, 0, sums.length);
        }
    }

    /** Bytes of the basis read at once: whole blocks, so a 16 KiB block is not one pread of its own. */
    private static final int READ_SIZE = 1 << 20;

    /** The sums of blocks [first, last) into {@code sums}, each a little-endian weak sum and the strong one. */
    private static void sumBlocks(SumHead head, FileChannel basis, ChecksumAlgorithm.BlockSummer summer, int first,
                                  int last, byte[] sums) throws IOException {
        int blength = Math.max(head.blockLength(), 1);
        int perRead = Math.max(1, READ_SIZE / blength);
        byte[] chunk = new byte[(int) Math.min((long) blength * perRead, (long) blength * Math.max(last - first, 1))];
        byte[] strong = new byte[Limits.MAX_DIGEST];
        int per = 4 + head.strongLength();
        RollingChecksum weak = new RollingChecksum();
        for (int i = first; i < last; ) {
            int upTo = Math.min(last, i + perRead);
            long offset = (long) i * head.blockLength();
            // the blocks [i, upTo) are contiguous: all but perhaps the file's last one are blength long
            int n = (int) ((long) (upTo - 1 - i) * head.blockLength() + head.blockLength(upTo - 1));
            int got = FileReads.readAt(basis, offset, chunk, 0, n);
            if (got < n) {
                Arrays.fill(chunk, got, n, (byte) 0); // shrank: the sums just miss
            }
            for (int at = 0; i < upTo; i++, at += head.blockLength()) {
                int len = head.blockLength(i);
                weak.reset(chunk, at, len);
                int v = weak.value();
                int o = (i - first) * per;
                sums[o] = (byte) v;
                sums[o + 1] = (byte) (v >>> 8);
                sums[o + 2] = (byte) (v >>> 16);
                sums[o + 3] = (byte) (v >>> 24);
                summer.sum(chunk, at, len, strong);
                System.arraycopy(strong, 0, sums, o + 4, head.strongLength());
            }
        }
    }
}
