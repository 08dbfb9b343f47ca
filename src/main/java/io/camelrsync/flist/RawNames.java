package io.camelrsync.flist;

import io.camelrsync.fs.Dir;
import io.camelrsync.fs.Names;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * The sender's bridge between java.nio.file and names that are not UTF-8. java.nio.file shows such bytes as U+FFFD
 * in a path's string, but a path it listed still holds the bytes, and its URI spells them out (%XX); a URI is also
 * how a path is made from bytes. Names travel as {@link Names} strings, so a name reaches the receiver byte for byte.
 */
public final class RawNames {
    private RawNames() {
    }

    /** The last name of a listed path, every byte kept. */
    public static String nameOf(Path p) {
        String s = p.getFileName().toString();
        if (s.indexOf('\uFFFD') < 0) {
            return s;
        }
        byte[] all = bytesOf(p);
        int end = all.length;
        int start = end;
        while (start > 0 && all[start - 1] != '/') {
            start--;
        }
        return Names.decode(all, start, end - start);
    }

    /** {@code root/rel}, {@code rel} a {@link Names} string. */
    public static Path resolve(Path root, String rel) {
        if (!Names.hasEscapes(rel)) {
            return root.resolve(rel);
        }
        StringBuilder uri = new StringBuilder("file://");
        for (byte b : Names.encode(root.toAbsolutePath() + "/" + rel)) {
            int c = b & 0xFF;
            if (Character.isLetterOrDigit(c) && c < 0x80 || c == '/' || c == '.' || c == '-' || c == '_') {
                uri.append((char) c);
            } else {
                uri.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        return Path.of(URI.create(uri.toString()));
    }

    /** A symlink's target, every byte kept. */
    static byte[] linkTarget(Path p, byte[] asShown) throws IOException {
        for (byte b : asShown) {
            if (b == (byte) 0xEF) { // U+FFFD is EF BF BD: the target may have held other bytes
                return Dir.readlink(bytesOf(p));
            }
        }
        return asShown;
    }

    /**
     * The absolute path's bytes, from its URI. The JDK ends the URI of a directory, and of a symlink to one, with
     * "/", which would make readlink follow the link: it is cut.
     */
    private static byte[] bytesOf(Path p) {
        String raw = p.toAbsolutePath().toUri().getRawPath();
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        byte[] all = out.toByteArray();
        int end = all.length;
        while (end > 1 && all[end - 1] == '/') {
            end--;
        }
        return end == all.length ? all : java.util.Arrays.copyOf(all, end);
    }
}
