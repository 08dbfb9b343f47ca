package io.camelrsync.sender;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireOutput;
import java.io.IOException;
import java.util.zip.Deflater;

/**
 * token.c send_deflated_token: raw deflate, reset for each file, sync-flushed before each block reference with
 * the flush's trailing 00 00 ff ff left off (the receiver puts it back). With "zlib" (not "zlibx") every matched
 * block also enters the compressor's window, as rsync feeds it (Z_INSERT_ONLY, or a discarded sync flush), so
 * that later literal data may refer to it; before protocol 31 rsync fed the first 64 KiB of a longer block twice.
 */
final class DeflateTokenWriter extends CompressedTokenWriter {
    private static final int MARKER = 4;

    private final Deflater deflater;
    private final boolean windowSeesMatches;
    private final int protocol;
    /** Compressed bytes not yet sent: after a flush the last four are the marker that is left off. */
    private final byte[] pending = new byte[3 * MAX_DATA_COUNT];
    private int pendingLength;
    private final byte[] discard = new byte[64 * 1024];

    DeflateTokenWriter(WireOutput out, int level, boolean windowSeesMatches, int protocol) {
        super(out);
        this.deflater = new Deflater(level, true);
        this.windowSeesMatches = windowSeesMatches;
        this.protocol = protocol;
    }

    @Override
    void compress(byte[] data, int off, int len) throws IOException {
        deflater.setInput(data, off, len);
        while (!deflater.needsInput()) {
            pendingLength += deflater.deflate(pending, pendingLength, pending.length - pendingLength,
                    Deflater.NO_FLUSH);
            sendFullChunks();
        }
    }

    @Override
    void flush() throws IOException {
        int room;
        int n;
        do {
            room = pending.length - pendingLength;
            n = deflater.deflate(pending, pendingLength, room, Deflater.SYNC_FLUSH);
            pendingLength += n;
            sendFullChunks();
        } while (n == room);
        if (pendingLength < MARKER || pending[pendingLength - 4] != 0 || pending[pendingLength - 3] != 0
                || pending[pendingLength - 2] != (byte) 0xff || pending[pendingLength - 1] != (byte) 0xff) {
            throw new RsyncException(ExitCode.STREAM_IO, "deflate's sync flush did not end with its marker");
        }
        emit(pending, 0, pendingLength - MARKER);
        pendingLength = 0;
    }

    /** Sends whole chunks, always keeping the last four bytes, which may turn out to be a flush's marker. */
    private void sendFullChunks() throws IOException {
        if (pendingLength >= MAX_DATA_COUNT + MARKER) {
            int n = pendingLength - MARKER;
            n -= n % MAX_DATA_COUNT;
            emit(pending, 0, n);
            System.arraycopy(pending, n, pending, 0, pendingLength - n);
            pendingLength -= n;
        }
    }

    @Override
    public boolean wantsMatchedData() {
        return windowSeesMatches;
    }

    @Override
    void matched(byte[] data, int off, int len) throws IOException {
        if (!windowSeesMatches) {
            return;
        }
        int offset = off;
        int left = len;
        do {
            int piece = Math.min(left, 0xffff);
            left -= piece;
            deflater.setInput(data, offset, piece);
            if (protocol >= 31) {
                offset += piece; // protocol 30's rsync fed the same first piece again: so must we
            }
            while (deflater.deflate(discard, 0, discard.length, Deflater.SYNC_FLUSH) == discard.length
                    || !deflater.needsInput()) {
                // the receiver rebuilds the same window from the block itself (see_deflate_token)
            }
        } while (left > 0);
    }

    @Override
    void fileEnded() {
        deflater.reset();
    }

    @Override
    public void close() {
        deflater.end();
    }
}
