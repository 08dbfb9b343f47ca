package io.camelrsync.receiver;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.sender.SumHead;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * Rebuilds a file from the sender's tokens (receiver.c receive_data): literal data, and blocks copied from the
 * basis by index, then checks the whole-file checksum. Indexes are bounded by the sum head we sent.
 */
public final class TokenReceiver {
    private static final int CHUNK = 32 * 1024;

    private final ChecksumAlgorithm algorithm;

    public TokenReceiver(ChecksumAlgorithm algorithm) {
        this.algorithm = algorithm;
    }

    /** What came in: bytes taken literally and from the basis, and whether the checksum matched. */
    public record Result(long literal, long matched, boolean verified) {
    }

    public Result receive(WireInput in, TokenSource tokens, SumHead head, FileChannel basis, OutputStream out)
            throws IOException {
        ChecksumAlgorithm.FileDigest digest = algorithm.fileDigest();
        byte[] buf = new byte[Math.max(CHUNK, head.blockLength())];
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
            if (block >= head.count() || basis == null) {
                throw RsyncException.protocol("Invalid block index " + block + " (the basis has " + head.count()
                        + " blocks)");
            }
            int n = head.blockLength(block);
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
            long at = (long) block * head.blockLength();
            while (bb.hasRemaining()) {
                if (basis.read(bb, at + bb.position()) < 0) {
                    throw new IOException("the basis file shrank while it was being used");
                }
            }
            out.write(buf, 0, n);
            digest.update(buf, 0, n);
            tokens.seeMatch(buf, n);
            matched += n;
        }
        byte[] expected = digest.digest();
        byte[] sent = in.readBytes(expected.length, expected.length, "file checksum");
        return new Result(literal, matched, MessageDigest.isEqual(expected, sent));
    }
}
