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
 * flushed before each block reference and at the end of each file. Data crosses to the library in direct
 * buffers: a heap buffer would be copied whole by JNI on every call, and the literal's array is the sender's
 * megabyte window.
 */
final class ZstdTokenWriter extends CompressedTokenWriter {
    private static final int INPUT = 32 * 1024;

    private final ZstdCompressCtx ctx = new ZstdCompressCtx();
    private final ByteBuffer input = ByteBuffer.allocateDirect(INPUT);
    private final ByteBuffer output = ByteBuffer.allocateDirect(MAX_DATA_COUNT);
    private final byte[] chunk = new byte[MAX_DATA_COUNT];

    ZstdTokenWriter(WireOutput out, int level) {
        super(out);
        ctx.setLevel(level);
    }

    @Override
    void compress(byte[] data, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, INPUT);
            input.clear();
            input.put(data, off, n).flip();
            while (input.hasRemaining()) {
                step(EndDirective.CONTINUE);
            }
            off += n;
            len -= n;
        }
    }

    @Override
    void flush() throws IOException {
        input.clear().flip();
        while (!step(EndDirective.FLUSH)) {
            // more of the flush is left in the compressor
        }
    }

    /** One call of ZSTD_compressStream2 into a chunk-sized buffer; true when a flush has completed. */
    private boolean step(EndDirective directive) throws IOException {
        output.clear();
        boolean done;
        try {
            done = ctx.compressDirectByteBufferStream(output, input, directive);
        } catch (ZstdException e) {
            throw new RsyncException(ExitCode.STREAM_IO, "zstd compression failed: " + e.getMessage());
        }
        output.flip();
        int n = output.remaining();
        output.get(chunk, 0, n);
        emit(chunk, 0, n);
        return done;
    }

    @Override
    public void close() {
        ctx.close();
    }
}
