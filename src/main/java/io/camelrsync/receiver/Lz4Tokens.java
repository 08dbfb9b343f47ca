package io.camelrsync.receiver;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * token.c recv_compressed_token (lz4): each chunk is an independent LZ4 block that decodes to at most
 * LZ4_compressBound(32 KiB) bytes, rsync's own output buffer; a block that would decode to more is refused.
 */
final class Lz4Tokens extends CompressedTokens {
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4Factory.fastestInstance().safeDecompressor();
    /** token.c: MAX(LZ4_compressBound(CHUNK_SIZE), MAX_DATA_COUNT + 2). */
    private static final int MAX_DECODED = 32 * 1024 + 32 * 1024 / 255 + 16;

    private final byte[] decoded = new byte[MAX_DECODED];
    private int decodedLength;
    private int taken;

    @Override
    void startFile() {
    }

    @Override
    void input(byte[] chunk, int len) throws IOException {
        try {
            decodedLength = DECOMPRESSOR.decompress(chunk, 0, len, decoded, 0, decoded.length);
        } catch (LZ4Exception e) {
            throw new RsyncException(ExitCode.STREAM_IO, "lz4 decompression failed on the token stream: "
                    + e.getMessage());
        }
        taken = 0;
    }

    @Override
    int output(byte[] buf) {
        int n = Math.min(buf.length, decodedLength - taken);
        System.arraycopy(decoded, taken, buf, 0, n);
        taken += n;
        return n;
    }
}
