package io.camelrsync.sender;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.checksum.RollingChecksum;
import io.camelrsync.fs.FileReads;
import io.camelrsync.protocol.Limits;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Turns a local file into rsync's token stream against the receiver's block sums (match.c): literal runs of
 * at most 32 KiB and matched blocks, written by the session's {@link TokenWriter} (plain or compressed), then
 * the whole-file checksum.
 */
public final class DeltaEncoder {
    static final int CHUNK = 32 * 1024;
    /** From this size on the whole-file checksum is computed beside the block search, on another core. */
    static final long PARALLEL_DIGEST_MIN = 4L << 20;
    /** Matched data after which the tokens found so far are sent on. */
    static final long FLUSH_MATCHED = 4L << 20;
    private static final ExecutorService DIGESTERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "rsync-file-digest");
        t.setDaemon(true);
        return t;
    });
    private static final ChecksumAlgorithm.FileDigest NO_DIGEST = new ChecksumAlgorithm.FileDigest() {
        @Override
        public void update(byte[] buf, int off, int len) {
        }

        @Override
        public byte[] digest() {
            return null;
        }
    };

    private final TokenWriter tokens;
    private final ChecksumAlgorithm algorithm;
    private final ChecksumAlgorithm.BlockSummer summer;
    private final byte[] strongScratch = new byte[64];
    private long literalBytes;
    private long matchedBytes;
    /** Matched bytes since the output was last flushed. */
    private long unflushedMatch;

    public DeltaEncoder(TokenWriter tokens, ChecksumAlgorithm algorithm, int seed, boolean seedFirst) {
        this.tokens = tokens;
        this.algorithm = algorithm;
        this.summer = algorithm.blockSummer(seed, seedFirst);
    }

    public long literalBytes() {
        return literalBytes;
    }

    public long matchedBytes() {
        return matchedBytes;
    }

    /** Sends the file read from {@code ch} (of {@code length} bytes) as tokens, then its checksum. */
    public void send(FileChannel ch, long length, BlockSums sums, ProgressSink progress) throws IOException {
        Future<byte[]> parallelDigest = length >= PARALLEL_DIGEST_MIN
                ? DIGESTERS.submit(() -> digestOf(ch, length)) : null;
        ChecksumAlgorithm.FileDigest digest = parallelDigest != null ? NO_DIGEST : algorithm.fileDigest();
        Window w = new Window(ch, length, sums == null ? 0 : sums.head.blockLength());
        if (sums == null || sums.head.count() == 0 || length == 0) {
            long pos = 0;
            while (pos < length) {
                int n = (int) Math.min(CHUNK, length - pos);
                w.ensure(pos, n, pos);
                literal(w, pos, n, digest);
                pos += n;
                progress.at(pos);
            }
        } else {
            search(w, length, sums, digest, progress);
        }
        tokens.end();
        byte[] sum = parallelDigest != null ? await(parallelDigest) : digest.digest();
        if (sum == null) {
            sum = new byte[algorithm.digestLength()];
            w.readError = true;
        }
        if (w.readError) {
            boolean allZero = java.util.Arrays.equals(sum, new byte[sum.length]);
            java.util.Arrays.fill(sum, (byte) 0);
            if (allZero) {
                sum[sum.length - 1] = 1;
            }
        }
        tokens.out().write(sum);
    }

    /** The whole-file checksum read through positional reads, which may run beside the window's reads. */
    private byte[] digestOf(FileChannel ch, long length) throws IOException {
        ChecksumAlgorithm.FileDigest d = algorithm.fileDigest();
        byte[] buf = new byte[1 << 20];
        long pos = 0;
        while (pos < length) {
            int n = FileReads.readAt(ch, pos, buf, 0, (int) Math.min(buf.length, length - pos));
            if (n <= 0) {
                return null; // shrank: the caller sends a checksum that fails, as for a short window read
            }
            d.update(buf, 0, n);
            pos += n;
        }
        return d.digest();
    }

    private static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while checksumming");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("file checksum failed", e.getCause());
        }
    }

    /** match.c hash_search over the file's {@code len} bytes: literal runs and matched blocks go to the tokens. */
    private void search(Window w, long len, BlockSums sums, ChecksumAlgorithm.FileDigest digest,
                        ProgressSink progress) throws IOException {
        SumHead head = sums.head;
        int blength = head.blockLength();
        long lastMatch = 0;
        long offset = 0;
        int wantI = 0;
        long end = len + 1 - head.blockLength(head.count() - 1);
        RollingChecksum roll = new RollingChecksum();
        int k = (int) Math.min(len, blength);
        w.ensure(0, k, 0);
        roll.reset(w.buf, w.index(0), k);
        while (offset < end) {
            int sum = roll.value();
            int matchedBlock = -1;
            int i = sums.first(sum);
            boolean strongDone = false;
            int chain = 0;
            while (i >= 0) {
                if (++chain > Limits.MAX_CHAIN) {
                    break;
                }
                if (head.blockLength(i) == k) {
                    if (!strongDone) {
                        summer.sum(w.buf, w.index(offset), k, strongScratch);
                        strongDone = true;
                    }
                    if (sums.strongEquals(i, strongScratch)) {
                        matchedBlock = i;
                        break;
                    }
                }
                i = sums.nextWithSum(i, sum);
            }
            if (matchedBlock >= 0) {
                // Prefer the block after the previous match so runs of blocks stay adjacent.
                if (matchedBlock != wantI && wantI < head.count() && sums.weak[wantI] == sum
                        && head.blockLength(wantI) == k && sums.strongEquals(wantI, strongScratch)) {
                    matchedBlock = wantI;
                }
                wantI = matchedBlock + 1;
                literalRun(w, lastMatch, offset, digest);
                block(w, offset, matchedBlock, k, digest);
                offset += k;
                lastMatch = offset;
                progress.at(offset);
                if (offset >= end) {
                    break;
                }
                k = (int) Math.min(blength, len - offset);
                w.ensure(offset, k, lastMatch);
                roll.reset(w.buf, w.index(offset), k);
                continue;
            }
            // Slide one byte; at the end of the file the window shrinks instead.
            boolean more = offset + k < len;
            w.ensure(offset, k + (more ? 1 : 0), lastMatch);
            byte outByte = w.buf[w.index(offset)];
            if (more) {
                roll.roll(outByte, w.buf[w.index(offset + k)]);
            } else {
                roll.trim(outByte);
                k--;
            }
            offset++;
            if (offset - lastMatch >= CHUNK + blength && end - offset > CHUNK) {
                // Keep the pending literal bounded: flush all but the current window.
                long upTo = offset - blength;
                w.ensure(lastMatch, (int) (upTo - lastMatch), lastMatch);
                literalRun(w, lastMatch, upTo, digest);
                lastMatch = upTo;
                progress.at(lastMatch);
            }
        }
        w.ensure(lastMatch, (int) (len - lastMatch), lastMatch);
        literalRun(w, lastMatch, len, digest);
        progress.at(len);
    }

    private void block(Window w, long at, int block, int len, ChecksumAlgorithm.FileDigest digest)
            throws IOException {
        tokens.block(block, w.buf, w.index(at), len);
        digest.update(w.buf, w.index(at), len);
        matched(len);
    }

    /**
     * Counts matched data and sends the tokens so far every few MiB of it: a matched block is a few bytes on the
     * wire, and a file that mostly matched sat in the output buffer until its end, the receiver idle meanwhile
     * (a 256 MiB delta: the receiver's third of the time came after the search instead of beside it).
     */
    private void matched(int len) throws IOException {
        matchedBytes += len;
        unflushedMatch += len;
        if (unflushedMatch >= FLUSH_MATCHED) {
            unflushedMatch = 0;
            tokens.out().flush();
        }
    }

    private void literalRun(Window w, long from, long to, ChecksumAlgorithm.FileDigest digest) throws IOException {
        long pos = from;
        while (pos < to) {
            int n = (int) Math.min(CHUNK, to - pos);
            literal(w, pos, n, digest);
            pos += n;
        }
    }

    private void literal(Window w, long pos, int n, ChecksumAlgorithm.FileDigest digest) throws IOException {
        tokens.literal(w.buf, w.index(pos), n);
        digest.update(w.buf, w.index(pos), n);
        literalBytes += n;
    }

    /** Progress callback, in bytes of the file processed. */
    @FunctionalInterface
    public interface ProgressSink {
        ProgressSink NONE = pos -> {
        };

        void at(long position);
    }

    /**
     * A sliding view of the file: keeps [keepFrom, pos + len) in memory, reading ahead in large chunks.
     * The pending literal run is bounded (see search), so the window stays a few block lengths plus 1 MiB.
     */
    static final class Window {
        private final FileChannel ch;
        byte[] buf;
        private long start; // file offset of buf[0]
        private int filled;
        boolean readError;

        /** A view of the file's {@code length} bytes. */
        Window(FileChannel ch, long length, int blockLength) {
            this.ch = ch;
            this.buf = new byte[(int) Math.min(Math.max(length, 1), 4L * CHUNK + 4L * blockLength + (1 << 20))];
        }

        int index(long pos) {
            return (int) (pos - start);
        }

        void ensure(long pos, int len, long keepFrom) throws IOException {
            long need = pos + len;
            if (need <= start + filled && pos >= start) {
                return;
            }
            long keep = Math.min(keepFrom, pos);
            if (keep < start) {
                throw new IllegalStateException("window moved past retained data");
            }
            if (keep >= start + filled) { // a jump past all it holds
                start = keep;
                filled = 0;
            }
            int shift = (int) (keep - start);
            int kept = filled - shift;
            if (need - keep > buf.length) {
                byte[] bigger = new byte[(int) (need - keep) + (1 << 20)];
                System.arraycopy(buf, shift, bigger, 0, Math.max(kept, 0));
                buf = bigger;
            } else if (shift > 0) {
                System.arraycopy(buf, shift, buf, 0, kept);
            }
            start = keep;
            filled = Math.max(kept, 0);
            filled += FileReads.readAt(ch, start + filled, buf, filled, buf.length - filled);
            if (start + filled < need) {
                // The file shrank while we read it: zero-fill as rsync's map_ptr does and make the
                // whole-file checksum fail, so the receiver discards this copy instead of keeping garbage.
                int gap = (int) (need - start - filled);
                java.util.Arrays.fill(buf, filled, filled + gap, (byte) 0);
                filled += gap;
                readError = true;
            }
        }
    }
}
