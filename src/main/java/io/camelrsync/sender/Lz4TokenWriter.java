package io.camelrsync.sender;

import io.camelrsync.protocol.WireOutput;
import java.io.IOException;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * token.c send_compressed_token (lz4): each chunk is an independent LZ4 block of at most 16383 input bytes,
 * halved until its compressed form fits a chunk; nothing to flush.
 */
final class Lz4TokenWriter extends CompressedTokenWriter {
    private static final LZ4Compressor COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();

    private final byte[] block = new byte[COMPRESSOR.maxCompressedLength(MAX_DATA_COUNT)];

    Lz4TokenWriter(WireOutput out) {
        super(out);
    }

    @Override
    void compress(byte[] data, int off, int len) throws IOException {
        int take = Math.min(len, MAX_DATA_COUNT);
        while (len > 0) {
            take = Math.min(take, len);
            int n = COMPRESSOR.compress(data, off, take, block, 0, block.length);
            if (n > MAX_DATA_COUNT) {
                take /= 2; // incompressible: less input, as rsync retries
                continue;
            }
            emit(block, 0, n);
            off += take;
            len -= take;
            take = MAX_DATA_COUNT;
        }
    }

    @Override
    void flush() {
    }
}
