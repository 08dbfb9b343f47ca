package io.camelrsync.testing;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * File names as the bytes they are. A Path read from a directory keeps a name's bytes, but its toString() decodes
 * them with sun.jnu.encoding (UTF-8 here) and turns every invalid byte into U+FFFD, so two different names can
 * print, and compare as strings, the same. The one public door to the bytes is the file: URI, which
 * percent-encodes them exactly (and Path.of(URI) decodes them back).
 */
public final class NameBytes {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private NameBytes() {
    }

    /** The absolute path's bytes. */
    public static byte[] of(Path p) {
        String raw = p.toAbsolutePath().toUri().getRawPath();
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                out.write(Integer.parseInt(raw, i + 1, i + 3, 16));
                i += 2;
            } else {
                out.write(c); // the URI leaves only ASCII unescaped
            }
        }
        byte[] b = out.toByteArray();
        // toUri() adds a '/' after a directory (or a symlink to one); no name ends with one
        return b.length > 1 && b[b.length - 1] == '/' ? Arrays.copyOf(b, b.length - 1) : b;
    }

    /** The bytes of {@code p} below {@code root}, without the separating '/'. */
    public static byte[] relative(Path root, Path p) {
        return relative(of(root), p);
    }

    /** The same with the root's bytes already known (a walk asks for thousands). */
    public static byte[] relative(byte[] r, Path p) {
        byte[] a = of(p);
        if (a.length <= r.length + 1 || !Arrays.equals(a, 0, r.length, r, 0, r.length) || a[r.length] != '/') {
            throw new IllegalArgumentException(p + " is not below " + new String(r, StandardCharsets.UTF_8));
        }
        return Arrays.copyOfRange(a, r.length + 1, a.length);
    }

    /** The bytes a symlink holds (readSymbolicLink keeps them; a relative one is resolved only to reach toUri). */
    public static byte[] linkTarget(Path target) {
        if (target.isAbsolute()) {
            return of(target);
        }
        byte[] b = of(Path.of("/").resolve(target));
        return Arrays.copyOfRange(b, 1, b.length);
    }

    /** {@code dir}'s child named by these bytes, whatever they are (no '/' or NUL). */
    public static Path child(Path dir, byte[] name) {
        StringBuilder uri = new StringBuilder("file://").append(dir.toAbsolutePath().toUri().getRawPath());
        if (uri.charAt(uri.length() - 1) != '/') {
            uri.append('/');
        }
        for (byte b : name) {
            if (b == '/' || b == 0) {
                throw new IllegalArgumentException("a name cannot hold '/' or NUL");
            }
            int c = b & 0xff;
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0)) {
                uri.append((char) c);
            } else {
                uri.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
            }
        }
        return Path.of(URI.create(uri.toString()));
    }

    /**
     * The bytes as a String that is unique to them: valid UTF-8 decodes as usual, each byte of an invalid sequence
     * becomes a lone surrogate U+DC80..U+DCFF (Python's surrogateescape), which no valid UTF-8 can produce.
     */
    public static String key(byte[] b) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer out = CharBuffer.allocate(b.length + 1);
        while (true) {
            CoderResult r = dec.decode(in, out, true);
            if (r.isUnderflow()) {
                break;
            }
            if (r.isOverflow()) {
                throw new IllegalStateException("UTF-8 never decodes to more chars than bytes");
            }
            for (int i = 0; i < r.length(); i++) {
                out.put((char) (0xDC00 | (in.get() & 0xff)));
            }
        }
        dec.flush(out);
        return out.flip().toString();
    }

    /** The bytes a {@link #key} stands for. */
    public static byte[] fromKey(String key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder run = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c >= 0xDC80 && c <= 0xDCFF && !(i > 0 && Character.isHighSurrogate(key.charAt(i - 1)))) {
                out.writeBytes(run.toString().getBytes(StandardCharsets.UTF_8));
                run.setLength(0);
                out.write(c & 0xff);
            } else {
                run.append(c);
            }
        }
        out.writeBytes(run.toString().getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** A key printable on one line: invalid bytes as \xHH, control characters and '\' escaped. */
    public static String printable(String key) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c >= 0xDC80 && c <= 0xDCFF && !(i > 0 && Character.isHighSurrogate(key.charAt(i - 1)))) {
                sb.append("\\x").append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
            } else if (c == 0xFFFD) {
                sb.append("\\uFFFD"); // valid UTF-8 (EF BF BD), but what a decoder puts for bytes it could not read
            } else if (c == '\\') {
                sb.append("\\\\");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02X", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
