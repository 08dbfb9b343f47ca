package io.camelrsync.sender;

import io.camelrsync.protocol.WireOutput;
import java.io.IOException;

/**
 * What token.c's compressed senders share: matched blocks coded as runs in flag bytes, relative to the end of the
 * previous run (send_deflated_token's run logic), and compressed literal data in chunks of at most 16383 bytes,
 * flushed before every block reference and at the end of a file so the receiver can decode up to it.
 */
abstract class CompressedTokenWriter implements TokenWriter {
    static final int END_FLAG = 0;
    static final int TOKEN_LONG = 0x20;
    static final int TOKENRUN_LONG = 0x21;
    static final int DEFLATED_DATA = 0x40;
    static final int TOKEN_REL = 0x80;
    static final int TOKENRUN_REL = 0xc0;
    static final int MAX_DATA_COUNT = 16383;
    /** A run's length travels in 16 bits. */
    private static final int MAX_RUN = 65535;

    private final WireOutput out;
    /** token.c last_run_end: the last block of the previous run (0 at the start of a file). */
    private int lastRunEnd;
    /** The first block of the run not yet written, or -1. */
    private int runStart = -1;
    /** The last block of that run. */
    private int runEnd;
    /** Literal data went into the compressor since its last flush. */
    private boolean unflushed;

    CompressedTokenWriter(WireOutput out) {
        this.out = out;
    }

    @Override
    public WireOutput out() {
        return out;
    }

    /** Takes literal data; may write chunks through {@link #emit}. */
    abstract void compress(byte[] data, int off, int len) throws IOException;

    /** Writes out all the compressed data so far, so the receiver can decode up to here. */
    abstract void flush() throws IOException;

    /** A matched block, after its reference: zlib adds it to the compressor's window. */
    void matched(byte[] data, int off, int len) throws IOException {
    }

    /** The file ended (its END_FLAG written). */
    void fileEnded() {
    }

    @Override
    public void literal(byte[] data, int off, int len) throws IOException {
        writeRun();
        compress(data, off, len);
        unflushed = true;
    }

    @Override
    public void block(int index, byte[] data, int off, int len) throws IOException {
        if (unflushed) {
            flush();
            unflushed = false;
        }
        if (runStart >= 0 && index == runEnd + 1 && index - runStart < MAX_RUN) {
            runEnd = index;
        } else {
            writeRun();
            runStart = index;
            runEnd = index;
        }
        matched(data, off, len);
    }

    @Override
    public void end() throws IOException {
        writeRun();
        if (unflushed) {
            flush();
            unflushed = false;
        }
        out.writeByte(END_FLAG);
        lastRunEnd = 0;
        fileEnded();
    }

    private void writeRun() throws IOException {
        if (runStart < 0) {
            return;
        }
        int rel = runStart - lastRunEnd;
        int n = runEnd - runStart;
        if (rel >= 0 && rel <= 63) {
            out.writeByte((n == 0 ? TOKEN_REL : TOKENRUN_REL) + rel);
        } else {
            out.writeByte(n == 0 ? TOKEN_LONG : TOKENRUN_LONG);
            out.writeInt(runStart);
        }
        if (n != 0) {
            out.writeByte(n & 0xff);
            out.writeByte(n >>> 8);
        }
        lastRunEnd = runEnd;
        runStart = -1;
    }

    /** Compressed bytes as DEFLATED_DATA chunks: a flag byte with the length's high 6 bits, its low byte, data. */
    void emit(byte[] data, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, MAX_DATA_COUNT);
            out.writeByte(DEFLATED_DATA + (n >> 8));
            out.writeByte(n & 0xff);
            out.write(data, off, n);
            off += n;
            len -= n;
        }
    }
}
