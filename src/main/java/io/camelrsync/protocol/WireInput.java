package io.camelrsync.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads rsync's integer and string encodings (io.c) from a byte stream.
 * Every length read here is checked against a caller-supplied bound before anything is allocated.
 */
public final class WireInput {
    private final InputStream in;
    private final byte[] scratch = new byte[16];
    private int lastPositiveNdx = -1;
    private int lastNegativeNdx = 1;

    public WireInput(InputStream in) {
        this.in = in;
    }

    public int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw closed();
        }
        return b;
    }

    public void readFully(byte[] buf, int off, int len) throws IOException {
        while (len > 0) {
            int n = in.read(buf, off, len);
            if (n < 0) {
                throw closed();
            }
            off += n;
            len -= n;
        }
    }

    public byte[] readBytes(int len, int max, String what) throws IOException {
        if (len < 0 || len > max) {
            throw RsyncException.protocol("invalid " + what + " length " + len + " (limit " + max + ")");
        }
        byte[] b = new byte[len];
        readFully(b, 0, len);
        return b;
    }

    public int readInt() throws IOException {
        readFully(scratch, 0, 4);
        return (scratch[0] & 0xff) | (scratch[1] & 0xff) << 8 | (scratch[2] & 0xff) << 16 | (scratch[3] & 0xff) << 24;
    }

    public int readShortInt() throws IOException {
        readFully(scratch, 0, 2);
        return (scratch[0] & 0xff) | (scratch[1] & 0xff) << 8;
    }

    /** Number of extra bytes announced by the leading 1-bits of a varint's first byte. */
    private static int extraBytes(int lead) {
        int n = 0;
        while (n < 8 && (lead & (0x80 >>> n)) != 0) {
            n++;
        }
        return n;
    }

    public int readVarint() throws IOException {
        int lead = readByte();
        int extra = extraBytes(lead);
        if (extra > 4) {
            throw RsyncException.protocol("overlong varint (lead byte 0x" + Integer.toHexString(lead) + ")");
        }
        long value = 0;
        for (int i = 0; i < extra; i++) {
            value |= (long) readByte() << (8 * i);
        }
        if (extra > 0) {
            int bit = 1 << (8 - extra);
            value |= (long) (lead & (bit - 1)) << (8 * extra);
        } else {
            value = lead;
        }
        return (int) value;
    }

    public long readVarlong(int minBytes) throws IOException {
        readFully(scratch, 0, minBytes);
        int lead = scratch[0] & 0xff;
        long value = 0;
        for (int i = 1; i < minBytes; i++) {
            value |= (long) (scratch[i] & 0xff) << (8 * (i - 1));
        }
        int extra = extraBytes(lead);
        if (minBytes + extra > 9) {
            throw RsyncException.protocol("overlong varlong (lead byte 0x" + Integer.toHexString(lead) + ")");
        }
        int shift = 8 * (minBytes - 1);
        for (int i = 0; i < extra; i++) {
            value |= (long) readByte() << shift;
            shift += 8;
        }
        int bit = 1 << (8 - extra);
        if (shift < 64) {
            value |= (long) (extra > 0 ? lead & (bit - 1) : lead) << shift;
        }
        return value;
    }

    /** A vstring: a length of one or two bytes then that many bytes (io.c read_vstring). */
    public String readVstring(int max) throws IOException {
        int len = readByte();
        if ((len & 0x80) != 0) {
            len = (len & 0x7f) * 0x100 + readByte();
        }
        return new String(readBytes(len, max, "vstring"), StandardCharsets.UTF_8);
    }

    /** A file index in protocol >= 30's delta encoding (io.c read_ndx); state is per direction. */
    public int readNdx() throws IOException {
        int b = readByte();
        boolean negative = false;
        if (b == 0xff) {
            negative = true;
            b = readByte();
        } else if (b == 0) {
            return Ndx.DONE;
        }
        int prev = negative ? lastNegativeNdx : lastPositiveNdx;
        int num;
        if (b == 0xfe) {
            int b0 = readByte();
            int b1 = readByte();
            if ((b0 & 0x80) != 0) {
                int b2 = readByte();
                int b3 = readByte();
                num = b1 | b2 << 8 | b3 << 16 | (b0 & 0x7f) << 24;
            } else {
                num = (b0 << 8) + b1 + prev;
            }
        } else {
            num = b + prev;
        }
        if (negative) {
            lastNegativeNdx = num;
            return -num;
        }
        lastPositiveNdx = num;
        return num;
    }

    private static IOException closed() {
        return new RsyncException(ExitCode.STREAM_IO,
                "connection unexpectedly closed by the peer (error in rsync protocol data stream)", new EOFException());
    }
}
