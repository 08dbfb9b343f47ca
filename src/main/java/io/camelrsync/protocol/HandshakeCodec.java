package io.camelrsync.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The text half of a daemon session, written and read the same way by our client and our daemon
 * (clientserver.c exchange_protocols, rsync_module; io.c read_line_old, read_args): newline-ended lines bounded
 * by {@link Limits#MAX_LINE}, the "@RSYNCD: 32.0 digests" greeting, and the client's NUL-terminated arguments.
 */
public final class HandshakeCodec {
    private static final String GREETING = "@RSYNCD: ";

    private HandshakeCodec() {
    }

    /** A greeting: the protocol, whether a ".sub" part came with it, and the login digests offered (>= 32). */
    public record Greeting(int protocol, boolean subprotocol, List<String> digests) {
        /** "@RSYNCD: 32.0 sha512 ..." (no digest list before protocol 32, as rsync sends it). */
        public static String format(int protocol, List<String> digests) {
            StringBuilder b = new StringBuilder(GREETING).append(protocol).append(".0");
            if (protocol >= 32) {
                digests.forEach(d -> b.append(' ').append(d));
            }
            return b.toString();
        }

        /** Empty when the line is no greeting or its version is not a number. */
        public static Optional<Greeting> parse(String line) {
            if (!line.startsWith(GREETING)) {
                return Optional.empty();
            }
            String[] words = line.substring(GREETING.length()).trim().split("\\s+");
            int dot = words[0].indexOf('.');
            try {
                int protocol = Integer.parseInt(dot < 0 ? words[0] : words[0].substring(0, dot));
                return Optional.of(new Greeting(protocol, dot >= 0,
                        List.copyOf(Arrays.asList(words).subList(1, words.length))));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
    }

    /** One line, newline added, flushed at once (the peer waits for it). */
    public static void writeLine(OutputStream out, String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /**
     * One line without its newline (or a trailing CR); {@code closed} makes the error for a peer that hung up.
     * A read timeout passes through as the stream's SocketTimeoutException.
     */
    public static String readLine(InputStream in, Supplier<? extends IOException> closed) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw closed.get();
            }
            if (buf.size() >= Limits.MAX_LINE) {
                throw RsyncException.protocol("handshake line longer than " + Limits.MAX_LINE + " bytes");
            }
            buf.write(b);
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** The arguments after the daemon's OK, each NUL-terminated, then the empty one that ends them (>= 30). */
    public static void writeArgs(OutputStream out, List<String> args) throws IOException {
        for (String arg : args) {
            out.write(arg.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        out.write(0);
        out.flush();
    }

    /** What {@link #writeArgs} wrote (newline-terminated below protocol 30), at most {@code maxArgs} of them. */
    public static List<String> readArgs(InputStream in, int protocol, int maxArgs) throws IOException {
        int end = protocol >= 30 ? 0 : '\n';
        List<String> args = new ArrayList<>();
        ByteArrayOutputStream arg = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw RsyncException.protocol("the client closed the connection while sending its arguments");
            }
            if (b == end) {
                if (arg.size() == 0) {
                    return args;
                }
                if (args.size() >= maxArgs) {
                    throw RsyncException.protocol("more than " + maxArgs + " arguments from the client");
                }
                args.add(arg.toString(StandardCharsets.UTF_8));
                arg.reset();
            } else {
                if (arg.size() >= Limits.MAX_PATH) {
                    throw RsyncException.protocol("an argument longer than " + Limits.MAX_PATH + " bytes");
                }
                arg.write(b);
            }
        }
    }
}
