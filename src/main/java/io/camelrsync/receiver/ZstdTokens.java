package io.camelrsync.receiver;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * token.c recv_zstd_token: one zstd stream for the whole session. The window a sender may ask for is bounded
 * (2^25 bytes: every level up to 20; our own senders stop there), so a hostile peer cannot make a session
 * reserve zstd's 2^27 default.
 */
final class ZstdTokens extends CompressedTokens {
    static final int WINDOW_LOG_MAX = 25;

    private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();
    /** Direct buffers: JNI would copy a heap buffer whole on every call. */
    private final ByteBuffer in = ByteBuffer.allocateDirect(MAX_DATA_COUNT);
    private final ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024);

    ZstdTokens() {
        ctx.setLongMax(WINDOW_LOG_MAX);
        in.flip();
    }

    @Override
    void startFile() {
    }

    @Override
    void input(byte[] chunk, int len) {
        in.clear();
        in.put(chunk, 0, len).flip();
    }

    @Override
    int output(byte[] buf) throws IOException {
        out.clear().limit(Math.min(buf.length, out.capacity()));
        try {
            ctx.decompressDirectByteBufferStream(out, in);
        } catch (ZstdException e) {
            throw new RsyncException(ExitCode.STREAM_IO, "zstd decompression failed on the token stream: "
                    + e.getMessage());
        }
        out.flip();
        int n = out.remaining();
        out.get(buf, 0, n);
        return n;
    }

    @Override
    public void close() {
        ctx.close();
    }
}
