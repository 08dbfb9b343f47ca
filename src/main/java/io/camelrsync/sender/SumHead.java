package io.camelrsync.sender;

import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import java.io.IOException;

/** The block-checksum header the generator sends per file (io.c read_sum_head), validated as rsync does. */
public record SumHead(int count, int blockLength, int strongLength, int remainder) {

    public static SumHead read(WireInput in, int digestLength) throws IOException {
        int count = in.readInt();
        int blength = in.readInt();
        int s2length = in.readInt();
        int remainder = in.readInt();
        if (count < 0 || count > Limits.MAX_BLOCK_COUNT) {
            throw RsyncException.protocol("invalid checksum count " + count);
        }
        if (blength < 0 || blength > Limits.MAX_BLOCK_SIZE || (count > 0 && blength == 0)) {
            throw RsyncException.protocol("invalid block length " + blength);
        }
        if (s2length < 0 || s2length > digestLength) {
            throw RsyncException.protocol("invalid checksum length " + s2length + " (digest is " + digestLength + ")");
        }
        if (remainder < 0 || remainder > blength) {
            throw RsyncException.protocol("invalid remainder length " + remainder);
        }
        return new SumHead(count, blength, s2length, remainder);
    }

    public void write(WireOutput out) throws IOException {
        out.writeInt(count);
        out.writeInt(blockLength);
        out.writeInt(strongLength);
        out.writeInt(remainder);
    }

    /** Length of block i: the last block is the remainder when there is one. */
    public int blockLength(int i) {
        return i == count - 1 && remainder != 0 ? remainder : blockLength;
    }
}
