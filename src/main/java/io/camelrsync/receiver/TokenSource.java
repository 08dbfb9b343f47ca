package io.camelrsync.receiver;

import io.camelrsync.protocol.Compression;
import io.camelrsync.protocol.WireInput;
import java.io.IOException;

/**
 * The sender's token stream for one file after another (token.c recv_token): literal data and references to
 * blocks of the basis, plain or compressed.
 */
public interface TokenSource extends AutoCloseable {
    /**
     * Reads the next token: n > 0 literal bytes were put into {@code buf[0..n)}; 0 is the end of the file;
     * a negative value t is a reference to basis block -(t + 1). {@code buf} holds at least 32 KiB.
     */
    int next(WireInput in, byte[] buf) throws IOException;

    /** The receiver copied a matched block; a compressor whose window includes matched data sees it here. */
    default void seeMatch(byte[] data, int off, int len) throws IOException {
    }

    /** Frees a decoder's native memory. */
    @Override
    default void close() {
    }

    /** The source for a session's compressor (token.c recv_token's switch). */
    static TokenSource of(Compression compression, int protocol) {
        return switch (compression) {
            case NONE -> plain();
            case ZLIB -> new DeflatedTokens(true, protocol);
            case ZLIBX -> new DeflatedTokens(false, protocol);
            case ZSTD -> new ZstdTokens();
            case LZ4 -> new Lz4Tokens();
        };
    }

    /** Plain tokens: a length and its literal bytes, or a negative block reference. */
    static TokenSource plain() {
        return new TokenSource() {
            private int residue;

            @Override
            public int next(WireInput in, byte[] buf) throws IOException {
                if (residue == 0) {
                    int token = in.readInt();
                    if (token <= 0) {
                        return token;
                    }
                    residue = token;
                }
                int n = Math.min(residue, buf.length);
                in.readFully(buf, 0, n);
                residue -= n;
                return n;
            }
        };
    }
}
