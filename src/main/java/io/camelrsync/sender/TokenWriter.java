package io.camelrsync.sender;

import io.camelrsync.protocol.Compression;
import io.camelrsync.protocol.WireOutput;
import java.io.IOException;

/**
 * The sender's side of token.c send_token for one file after another: literal data, matched blocks, the end
 * of each file; plain (a length and the bytes, -(i+1) for block i, 0) or compressed by the session's -z choice.
 * One writer serves a whole session, since zstd's stream runs on from file to file.
 */
public interface TokenWriter extends AutoCloseable {
    /** Literal bytes of the current file (at most 32 KiB per call). */
    void literal(byte[] data, int off, int len) throws IOException;

    /** Block {@code index} of the receiver's basis matched; {@code data} is its content (zlib's window takes it). */
    void block(int index, byte[] data, int off, int len) throws IOException;

    /** The end of the current file's tokens. */
    void end() throws IOException;

    /** Whether {@link #block} needs the matched data (zlib's window takes it); otherwise it may be null. */
    default boolean wantsMatchedData() {
        return false;
    }

    /** The stream the tokens go to (the whole-file checksum follows them there). */
    WireOutput out();

    @Override
    default void close() {
    }

    /** The writer for a session's compressor; {@code level} is {@link Compression#effectiveLevel}'s. */
    static TokenWriter of(Compression compression, int level, int protocol, WireOutput out) {
        return switch (compression) {
            case NONE -> new Plain(out);
            case ZLIB -> new DeflateTokenWriter(out, level, true, protocol);
            case ZLIBX -> new DeflateTokenWriter(out, level, false, protocol);
            case ZSTD -> new ZstdTokenWriter(out, level);
            case LZ4 -> new Lz4TokenWriter(out);
        };
    }

    /** token.c simple_send_token. */
    record Plain(WireOutput out) implements TokenWriter {
        @Override
        public void literal(byte[] data, int off, int len) throws IOException {
            out.writeInt(len);
            out.write(data, off, len);
        }

        @Override
        public void block(int index, byte[] data, int off, int len) throws IOException {
            out.writeInt(-(index + 1));
        }

        @Override
        public void end() throws IOException {
            out.writeInt(0);
        }
    }
}
