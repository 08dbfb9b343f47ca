package io.camelrsync.receiver;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.fs.FileReads;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.sender.SumHead;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * Rebuilds a file from the sender's tokens (receiver.c receive_data): literal data, and blocks copied from the
 * basis by index, then checks the whole-file checksum. Indexes are bounded by the sum head we sent.
 */
public final class TokenReceiver {
    private static final int CHUNK = 32 * 1024;
    /** Matched blocks mostly come in file order: one read fetches many of them. */
    private static final int WINDOW = 1 << 20;

    private final ChecksumAlgorithm algorithm;
    /**
     * Kept from file to file (one receiving thread uses this): a 1 MiB window made for every file, basis or not,
     * was zeroed 20,000 times in a pull of 20,000 small files, half the receiver's CPU (memset, per perf).
     */
    private byte[] tokenBuf;
    private BasisWindow window;

    public TokenReceiver(ChecksumAlgorithm algorithm) {
        this.algorithm = algorithm;
    }

    /** What came in: bytes taken literally and from the basis, and whether the checksum matched. */
    public record Result(long literal, long matched, boolean verified) {
    }

    public Result receive(WireInput in, TokenSource tokens, SumHead head, FileChannel basis, OutputStream out)
            throws IOException {
        ChecksumAlgorithm.FileDigest digest = algorithm.fileDigest();
        if (tokenBuf == null || tokenBuf.length < Math.max(CHUNK, head.blockLength())) {
            tokenBuf = new byte[Math.max(CHUNK, head.blockLength())];
        }
        byte[] buf = tokenBuf;
        BasisWindow win = null; // made on the first matched block, then kept for later files
        long literal = 0;
        long matched = 0;
        while (true) {
            int token = tokens.next(in, buf);
            if (token == 0) {
                break;
            }
            if (token > 0) {
                out.write(buf, 0, token);
                digest.update(buf, 0, token);
                literal += token;
                continue;
            }
            int block = -(token + 1);
            if (block >= head.count()) {
                throw RsyncException.protocol("Invalid block index " + block + " (the basis has " + head.count()
                        + " blocks)");
            }
            int n = head.blockLength(block);
            if (win == null) {
                win = basisWindow(head.blockLength());
            }
            // no basis: the file is being read off the wire to be dropped (its basis vanished meanwhile)
            int off = basis == null ? win.zeros(n) : win.locate(basis, (long) block * head.blockLength(), n);
            out.write(win.bytes, off, n);
            digest.update(win.bytes, off, n);
            tokens.seeMatch(win.bytes, off, n);
            matched += n;
        }
        byte[] expected = digest.digest();
        byte[] sent = in.readBytes(expected.length, expected.length, "file checksum");
        return new Result(literal, matched, MessageDigest.isEqual(expected, sent));
    }

    /** The window kept from an earlier file (emptied: it held another basis) or a new one when that is too small. */
    private BasisWindow basisWindow(int blockLength) {
        int size = Math.max(WINDOW, blockLength);
        if (window == null || window.bytes.length < size) {
            window = new BasisWindow(size);
        }
        window.start = -1;
        return window;
    }

    /** A read-ahead window over the basis file. */
    private static final class BasisWindow {
        final byte[] bytes;
        private long start = -1;
        private int length;

        BasisWindow(int size) {
            bytes = new byte[size];
        }

        int zeros(int n) {
            java.util.Arrays.fill(bytes, 0, n, (byte) 0);
            start = -1;
            return 0;
        }

        /** Makes [at, at + n) available and returns its offset in {@link #bytes}. */
        int locate(FileChannel basis, long at, int n) throws IOException {
            if (start < 0 || at < start || at + n > start + length) {
                start = at;
                length = FileReads.readAt(basis, at, bytes, 0, bytes.length); // or up to the end of the basis
                if (length < n) {
                    throw new IOException("the basis file shrank while it was being used");
                }
            }
            return (int) (at - start);
        }
    }
}
