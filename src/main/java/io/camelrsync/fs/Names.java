package io.camelrsync.fs;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * File names as Java strings without losing a byte. A Linux name is any bytes; rsync keeps them exactly (without
 * --iconv). Valid UTF-8 decodes as usual; each byte that is not part of valid UTF-8 becomes the lone surrogate
 * U+DC80+byte (Python's "surrogateescape"), which no valid UTF-8 can produce, so {@link #encode} gives back the
 * very bytes.
 */
public final class Names {
    private Names() {
    }

    public static String decode(byte[] b) {
        return decode(b, 0, b.length);
    }

    public static String decode(byte[] b, int off, int len) {
        boolean ascii = true;
        for (int i = off; i < off + len && ascii; i++) {
            ascii = b[i] >= 0;
        }
        if (ascii) {
            return new String(b, off, len, StandardCharsets.ISO_8859_1);
        }
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, off, len);
        CharBuffer out = CharBuffer.allocate(len);
        while (true) {
            var r = d.decode(in, out, true);
            if (r.isUnderflow()) {
                break;
            }
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    out.put((char) (0xDC00 | (in.get() & 0xFF)));
                }
            } else {
                throw new IllegalStateException("decoding a name: " + r);
            }
        }
        d.flush(out);
        return out.flip().toString();
    }

    /** The bytes of a name decoded by {@link #decode}; for any other string, its UTF-8. */
    public static byte[] encode(String s) {
        boolean escaped = false;
        for (int i = 0; i < s.length() && !escaped; i++) {
            escaped = isEscape(s.charAt(i));
        }
        if (!escaped) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        ByteBuffer out = ByteBuffer.allocate(s.length() * 3);
        int start = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i == s.length() || isEscape(s.charAt(i))) {
                out.put(s.substring(start, i).getBytes(StandardCharsets.UTF_8));
                if (i < s.length()) {
                    out.put((byte) s.charAt(i));
                }
                start = i + 1;
            }
        }
        byte[] b = new byte[out.position()];
        out.flip().get(b);
        return b;
    }

    /** Whether the name holds bytes that are not UTF-8 (and so cannot go through java.nio.file's strings). */
    public static boolean hasEscapes(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (isEscape(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isEscape(char c) {
        return c >= 0xDC80 && c <= 0xDCFF;
    }

    /** For messages: escaped bytes as \xNN, as rsync prints names it cannot show. */
    public static String printable(String s) {
        if (!hasEscapes(s)) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (isEscape(c)) {
                b.append(String.format("\\x%02X", c & 0xFF));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
