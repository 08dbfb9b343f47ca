package io.camelrsync.receiver;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Tokens compressed with -z (token.c recv_deflated_token): literal data travels as raw-deflate chunks of at
 * most 16383 bytes whose trailing sync marker the sender strips; block references are packed into flag bytes,
 * relative to the end of the previous run. With "zlib" (not "zlibx") the inflater's window must also see every
 * matched block, fed as stored blocks exactly as rsync does, including protocol 30's habit of repeating the
 * first 64 KiB of a longer block.
 */
public final class DeflatedTokens extends CompressedTokens {
    private static final byte[] SYNC_MARKER = {0, 0, (byte) 0xff, (byte) 0xff};

    private final boolean windowSeesMatches;
    private final int protocol;
    private final Inflater inflater = new Inflater(true);
    private final byte[] scratch = new byte[64 * 1024];
    /** A fake stored block (see_deflate_token): its 5-byte header, then up to 64 KiB of a matched block. */
    private final byte[] stored = new byte[5 + 0xffff];

    /** @param windowSeesMatches true for "zlib" (the only choice before protocol 32's negotiation), false for "zlibx" */
    public DeflatedTokens(boolean windowSeesMatches, int protocol) {
        this.windowSeesMatches = windowSeesMatches;
        this.protocol = protocol;
    }

    @Override
    void startFile() {
        inflater.reset();
    }

    @Override
    void input(byte[] chunk, int len) {
        inflater.setInput(chunk, 0, len);
    }

    @Override
    int output(byte[] buf) throws IOException {
        return inflate(buf, buf.length);
    }

    @Override
    void endOfData() throws IOException {
        // the sender left off the sync flush's 00 00 ff ff; put it back so the inflater stays aligned
        inflater.setInput(SYNC_MARKER);
        while (inflate(scratch, scratch.length) > 0) {
            // a sync marker carries no data
        }
    }
    @Override
    public void seeMatch(byte[] data, int off, int len) throws IOException {
        if (!windowSeesMatches) {
            return;
        }
        int offset = off;
        while (len > 0) {
            int piece = Math.min(len, 0xffff);
            byte[] stored = this.stored; // one buffer for every matched block, not one each
            stored[1] = (byte) piece;
            stored[2] = (byte) (piece >> 8);
            stored[3] = (byte) ~stored[1];
            stored[4] = (byte) ~stored[2];
            System.arraycopy(data, offset, stored, 5, piece);
            inflater.setInput(stored, 0, 5 + piece);
            while (inflate(scratch, scratch.length) > 0) {
                // the window takes the block; the output is the block itself and is not needed
            }
            if (!inflater.needsInput()) {
                throw new RsyncException(ExitCode.STREAM_IO, "the inflater did not take a matched block");
            }
            if (protocol >= 31) {
                offset += piece; // protocol 30 rsync fed the same first piece again: so must we
            }
            len -= piece;
        }
    }

    private int inflate(byte[] out, int len) throws IOException {
        try {
            int n = inflater.inflate(out, 0, len);
            if (n == 0 && (inflater.finished() || inflater.needsDictionary())) {
                throw new RsyncException(ExitCode.STREAM_IO, "the compressed token stream ended unexpectedly");
            }
            return n;
        } catch (DataFormatException e) {
            throw new RsyncException(ExitCode.STREAM_IO, "inflate failed on the compressed token stream: "
                    + e.getMessage());
        }
    }

    @Override
    public void close() {
        inflater.end();
    }
}
