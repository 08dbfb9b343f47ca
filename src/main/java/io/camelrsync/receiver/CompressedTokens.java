package io.camelrsync.receiver;

import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import java.io.IOException;

/**
 * What token.c's compressed receivers share (recv_deflated_token, recv_zstd_token, recv_compressed_token):
 * literal data arrives as DEFLATED_DATA chunks of at most 16383 compressed bytes, handed to the decoder; block
 * references are flag bytes, relative to the end of the previous run, with 16-bit run lengths. A decoder's output
 * comes out at most {@code buf.length} bytes at a time, so no chunk can make this side allocate more.
 */
abstract class CompressedTokens implements TokenSource, AutoCloseable {
    static final int END_FLAG = 0;
    static final int TOKEN_LONG = 0x20;
    static final int TOKENRUN_LONG = 0x21;
    static final int DEFLATED_DATA = 0x40;
    static final int TOKEN_REL = 0x80;
    static final int MAX_DATA_COUNT = 16383;
    /** token.c MAX_TOKEN_INDEX. */
    static final int MAX_TOKEN_INDEX = 0x7ffffffe;

    private final byte[] chunk = new byte[MAX_DATA_COUNT];
    private boolean startOfFile = true;
    private int token;
    private int run;
    /** Data came since the last flag that was not data. */
    private boolean fedSinceFlag;

    /** A new file's tokens begin (zlib resets its inflater; zstd's stream runs on). */
    abstract void startFile();

    /** A chunk of compressed data, valid until the next call. */
    abstract void input(byte[] chunk, int len) throws IOException;

    /** Decoded bytes of the chunks so far into {@code buf} (at most its length), or 0 when none are left. */
    abstract int output(byte[] buf) throws IOException;

    /** A flag that is not data follows data: the decoder must be at a flush point. */
    void endOfData() throws IOException {
    }

    @Override
    public final int next(WireInput in, byte[] buf) throws IOException {
        if (startOfFile) {
            startFile();
            startOfFile = false;
            fedSinceFlag = false;
            token = 0;
            run = 0;
        }
        if (run > 0) {
            if (token >= MAX_TOKEN_INDEX) {
                throw RsyncException.protocol("invalid token number in compressed stream");
            }
            run--;
            return -1 - ++token;
        }
        while (true) {
            int n = output(buf);
            if (n > 0) {
                return n;
            }
            int flag = in.readByte();
            if ((flag & 0xc0) == DEFLATED_DATA) {
                int len = ((flag & 0x3f) << 8) + in.readByte();
                in.readFully(chunk, 0, len);
                input(chunk, len);
                fedSinceFlag = true;
                continue;
            }
            if (fedSinceFlag) {
                fedSinceFlag = false;
                endOfData();
            }
            if (flag == END_FLAG) {
                startOfFile = true;
                return 0;
            }
            return blockReference(in, flag);
        }
    }

    /** token.c recv_compressed_token_num. */
    private int blockReference(WireInput in, int flag) throws IOException {
        if ((flag & TOKEN_REL) != 0) {
            int incr = flag & 0x3f;
            if (token > MAX_TOKEN_INDEX - incr) {
                throw RsyncException.protocol("invalid token number in compressed stream");
            }
            token += incr;
            flag >>= 6;
        } else if (flag == TOKEN_LONG || flag == TOKENRUN_LONG) {
            token = in.readInt();
        } else {
            throw RsyncException.protocol("invalid compressed token flag 0x" + Integer.toHexString(flag));
        }
        if (token < 0 || token > MAX_TOKEN_INDEX) {
            throw RsyncException.protocol("invalid token number in compressed stream: " + token);
        }
        if ((flag & 1) != 0) {
            run = in.readByte() + (in.readByte() << 8);
            if (run == 0 || token > MAX_TOKEN_INDEX - run) {
                throw RsyncException.protocol("invalid token run in compressed stream");
            }
        }
        return -1 - token;
    }

    @Override
    public void close() {
    }
}
