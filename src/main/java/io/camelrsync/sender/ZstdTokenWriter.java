package io.camelrsync.sender;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireOutput;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * token.c send_zstd_token: one zstd stream for the whole session (never ended, never reset between files),
 * flushed before each block reference and at the end of each file.
 */
final class ZstdTokenWriter extends CompressedTokenWriter {
    private final ZstdCompressCtx ctx = new ZstdCompressCtx();
    private final byte[] chunk = new byte[MAX_DATA_COUNT];
    private final ByteBuffer chunkBuffer = ByteBuffer.wrap(chunk);

    ZstdTokenWriter(WireOutput out, int level) {
        super(out);
        ctx.setLevel(level);
    }

    @Override
    void compress(byte[] data, int off, int len) throws IOException {
        ByteBuffer src = ByteBuffer.wrap(data, off, len);
        while (src.hasRemaining()) {
            step(src, EndDirective.CONTINUE);
        }
    }

    @Override
    void flush() throws IOException {
        ByteBuffer none = ByteBuffer.allocate(0);
        while (!step(none, EndDirective.FLUSH)) {
            // more of the flush is left in the compressor
        }
    }

    /** One call of ZSTD_compressStream2 into a chunk-sized buffer; true when a flush has completed. */
    private boolean step(ByteBuffer src, EndDirective directive) throws IOException {
        chunkBuffer.clear();
        boolean done;
        try {
            done = ctx.compressByteBufferStream(chunkBuffer, src, directive);
        } catch (ZstdException e) {
            throw new RsyncException(ExitCode.STREAM_IO, "zstd compression failed: " + e.getMessage());
        }
        emit(chunk, 0, chunkBuffer.position());
        return done;
    }

    @Override
    public void close() {
        ctx.close();
    }
}
