package io.camelrsync.sender;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.checksum.RollingChecksum;
import io.camelrsync.protocol.Limits;
import java.io.IOException;
import java.nio.ByteBuffer;
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
    /**
     * From this size on the block search runs in two halves, the second on another core, its tokens sent after
     * the first's: any sequence of literal data and matched blocks that rebuilds the file is a valid delta, and
     * a block straddling the split only goes as literal data.
     */
    static final long SPLIT_SEARCH_MIN = 32L << 20;
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
        boolean split = sums != null && sums.head.count() > 1 && length >= SPLIT_SEARCH_MIN && parallelDigest != null;
        Window w = new Window(ch, split ? 0 : length, sums == null ? 0 : sums.head.blockLength(), 0);
        if (split) {
            w.readError = splitSearch(ch, length, sums, progress);
        } else if (sums == null || sums.head.count() == 0 || length == 0) {
            long pos = 0;
            while (pos < length) {
                int n = (int) Math.min(CHUNK, length - pos);
                w.ensure(pos, n, pos);
                literal(w, pos, n, digest);
                pos += n;
                progress.at(pos);
            }
        } else {
            search(w, 0, length, sums, digest, progress, direct(digest));
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
        ByteBuffer bb = ByteBuffer.wrap(buf);
        long pos = 0;
        while (pos < length) {
            bb.clear().limit((int) Math.min(buf.length, length - pos));
            int n = ch.read(bb, pos);
            if (n < 0) {
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

    /**
     * match.c hash_search over [from, len) of the file, as if the file began at {@code from} and ended at
     * {@code len}: literal runs and matched blocks go to {@code out}.
     */
    private void search(Window w, long from, long len, BlockSums sums, ChecksumAlgorithm.FileDigest digest,
                        ProgressSink progress, Output out) throws IOException {
        SumHead head = sums.head;
        int blength = head.blockLength();
        long lastMatch = from;
        long offset = from;
        int wantI = 0;
        long end = len + 1 - head.blockLength(head.count() - 1);
        RollingChecksum roll = new RollingChecksum();
        int k = (int) Math.min(len - from, blength);
        w.ensure(from, k, from);
        roll.reset(w.buf, w.index(from), k);
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
                out.literal(w, lastMatch, offset);
                out.block(w, offset, matchedBlock, k);
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
                out.literal(w, lastMatch, upTo);
                lastMatch = upTo;
                progress.at(lastMatch);
            }
        }
        w.ensure(lastMatch, (int) (len - lastMatch), lastMatch);
        out.literal(w, lastMatch, len);
        progress.at(len);
    }

    /** Where the search's findings go: straight to the tokens, or recorded to be sent later. */
    private interface Output {
        /** The literal data [from, to), in the window. */
        void literal(Window w, long from, long to) throws IOException;

        /** Block {@code block} matched the {@code len} bytes at {@code at}, in the window. */
        void block(Window w, long at, int block, int len) throws IOException;
    }

    private Output direct(ChecksumAlgorithm.FileDigest digest) {
        return new Output() {
            @Override
            public void literal(Window w, long from, long to) throws IOException {
                literalRun(w, from, to, digest);
            }

            @Override
            public void block(Window w, long at, int block, int len) throws IOException {
                tokens.block(block, w.buf, w.index(at), len);
                digest.update(w.buf, w.index(at), len);
                matchedBytes += len;
            }
        };
    }

    /**
     * The search in two halves: the second half's findings are recorded (offsets and block numbers, not data) on
     * another core while this thread searches and sends the first; then they are sent, their data read again.
     *
     * @return whether the file shrank while it was read
     */
    private boolean splitSearch(FileChannel ch, long length, BlockSums sums, ProgressSink progress)
            throws IOException {
        long split = length / 2;
        int blength = sums.head.blockLength();
        Recorded second = new Recorded();
        Window secondWindow = new Window(ch, length, blength, split);
        Future<?> other = DIGESTERS.submit(() -> {
            search(secondWindow, split, length, sums, NO_DIGEST, ProgressSink.NONE, second);
            return null;
        });
        Window first = new Window(ch, split, blength, 0);
        try {
            search(first, 0, split, sums, NO_DIGEST, progress, direct(NO_DIGEST));
            await(other);
        } finally {
            other.cancel(true); // a session that failed does not wait for the other half
        }
        Window replay = new Window(ch, length, blength, split);
        boolean matchedData = tokens.wantsMatchedData();
        for (int i = 0; i < second.size; i += 3) {
            long a = second.ops[i + 1];
            long b = second.ops[i + 2];
            if (second.ops[i] < 0) {
                replay.ensure(a, (int) (b - a), a);
                literalRun(replay, a, b, NO_DIGEST);
            } else {
                int len = (int) b;
                if (matchedData) {
                    replay.ensure(a, len, a);
                    tokens.block((int) second.ops[i], replay.buf, replay.index(a), len);
                } else {
                    tokens.block((int) second.ops[i], null, 0, len);
                }
                matchedBytes += len;
            }
            progress.at(second.ops[i] < 0 ? b : a + b);
        }
        progress.at(length);
        return first.readError || secondWindow.readError || replay.readError;
    }

    /** A half's findings, three longs each: -1, from, to for literal data; the block, its offset, its length. */
    private static final class Recorded implements Output {
        long[] ops = new long[3 * 1024];
        int size;

        @Override
        public void literal(Window w, long from, long to) throws java.io.InterruptedIOException {
            if (to > from) {
                add(-1, from, to);
            }
        }

        @Override
        public void block(Window w, long at, int block, int len) throws java.io.InterruptedIOException {
            add(block, at, len);
        }

        private void add(long a, long b, long c) throws java.io.InterruptedIOException {
            if (Thread.currentThread().isInterrupted()) {
                throw new java.io.InterruptedIOException("the session ended"); // cancelled: stop reading the file
            }
            if (size + 3 > ops.length) {
                ops = java.util.Arrays.copyOf(ops, ops.length * 2);
            }
            ops[size++] = a;
            ops[size++] = b;
            ops[size++] = c;
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

        /** A view of [{@code start}, {@code length}) of the file. */
        Window(FileChannel ch, long length, int blockLength, long start) {
            this.ch = ch;
            this.start = start;
            this.buf = new byte[(int) Math.min(Math.max(length - start, 1), 4L * CHUNK + 4L * blockLength + (1 << 20))];
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
            if (keep >= start + filled) { // a jump past all it holds (the replay skips matched blocks)
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
            ByteBuffer bb = ByteBuffer.wrap(buf);
            while (start + filled < need) {
                bb.limit(buf.length).position(filled);
                int n = ch.read(bb, start + filled);
                if (n < 0) {
                    // The file shrank while we read it: zero-fill as rsync's map_ptr does and make the
                    // whole-file checksum fail, so the receiver discards this copy instead of keeping garbage.
                    int gap = (int) (need - start - filled);
                    java.util.Arrays.fill(buf, filled, filled + gap, (byte) 0);
                    filled += gap;
                    readError = true;
                    break;
                }
                filled += n;
            }
        }
    }
}
