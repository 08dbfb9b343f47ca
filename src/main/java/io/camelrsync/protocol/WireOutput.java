package io.camelrsync.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writes rsync's integer and string encodings (io.c) to a byte stream. */
public final class WireOutput {
    private final OutputStream out;
    private final byte[] b = new byte[16];
    private int lastPositiveNdx = -1;
    private int lastNegativeNdx = 1;

    public WireOutput(OutputStream out) {
        this.out = out;
    }

    public void writeByte(int v) throws IOException {
        out.write(v);
    }

    public void write(byte[] buf, int off, int len) throws IOException {
        out.write(buf, off, len);
    }

    public void write(byte[] buf) throws IOException {
        out.write(buf, 0, buf.length);
    }

    public void writeInt(int v) throws IOException {
        b[0] = (byte) v;
        b[1] = (byte) (v >> 8);
        b[2] = (byte) (v >> 16);
        b[3] = (byte) (v >> 24);
        out.write(b, 0, 4);
    }

    public void writeShortInt(int v) throws IOException {
        b[0] = (byte) v;
        b[1] = (byte) (v >> 8);
        out.write(b, 0, 2);
    }

    public void writeVarint(int x) throws IOException {
        writeVar(x & 0xffffffffL, 1, 4);
    }

    public void writeVarlong(long x, int minBytes) throws IOException {
        writeVar(x, minBytes, 8);
    }

    /**
     * rsync's variable-length encoding: the low (minBytes - 1) bytes raw, the remaining significant bytes
     * announced by leading 1-bits in the lead byte, whose free low bits hold the topmost part.
     */
    private void writeVar(long x, int minBytes, int width) throws IOException {
        for (int i = 0; i < 8; i++) {
            b[1 + i] = (byte) (x >>> (8 * i));
        }
        int cnt = width;
        while (cnt > minBytes && b[cnt] == 0) {
            cnt--;
        }
        int bit = 1 << (7 - cnt + minBytes);
        int top = b[cnt] & 0xff;
        if (top >= bit) {
            cnt++;
            b[0] = (byte) ~(bit - 1);
        } else if (cnt > minBytes) {
            b[0] = (byte) (top | ~(bit * 2 - 1));
        } else {
            b[0] = (byte) top;
        }
        out.write(b, 0, cnt);
    }

    public void writeVstring(String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0x7fff) {
            throw new IllegalArgumentException("vstring too long: " + bytes.length);
        }
        if (bytes.length > 0x7f) {
            out.write(bytes.length / 0x100 + 0x80);
        }
        out.write(bytes.length & 0xff);
        out.write(bytes);
    }

    /** A file index in protocol >= 30's delta encoding (io.c write_ndx). */
    public void writeNdx(int ndx) throws IOException {
        int cnt = 0;
        int diff;
        if (ndx >= 0) {
            diff = ndx - lastPositiveNdx;
            lastPositiveNdx = ndx;
        } else if (ndx == Ndx.DONE) {
            out.write(0);
            return;
        } else {
            b[cnt++] = (byte) 0xff;
            ndx = -ndx;
            diff = ndx - lastNegativeNdx;
            lastNegativeNdx = ndx;
        }
        if (diff > 0 && diff < 0xfe) {
            b[cnt++] = (byte) diff;
        } else if (diff < 0 || diff > 0x7fff) {
            b[cnt++] = (byte) 0xfe;
            b[cnt++] = (byte) ((ndx >> 24) | 0x80);
            b[cnt++] = (byte) ndx;
            b[cnt++] = (byte) (ndx >> 8);
            b[cnt++] = (byte) (ndx >> 16);
        } else {
            b[cnt++] = (byte) 0xfe;
            b[cnt++] = (byte) (diff >> 8);
            b[cnt++] = (byte) diff;
        }
        out.write(b, 0, cnt);
    }

    public void flush() throws IOException {
        out.flush();
    }
}
