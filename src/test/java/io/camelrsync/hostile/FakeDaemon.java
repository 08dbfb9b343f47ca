package io.camelrsync.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A scripted rsync daemon that misbehaves on purpose: a plain ServerSocket on 127.0.0.1 (port 0) serving one
 * connection on a thread of its own. It speaks the server side byte by byte with its own encoders (notes sections
 * 1-5 and 7), independent of the client's codec. When the script returns it drains whatever the client sends
 * (or, with {@link Conn#stopReading}, holds the socket without reading) until the client hangs up. Every wait is
 * bounded, and {@link #close()} closes both sockets and ends the thread.
 */
final class FakeDaemon implements AutoCloseable {
    interface Script {
        void run(Conn c) throws Exception;
    }

    /** No single read, accept or hold lasts longer than this. */
    static final int MAX_WAIT_MILLIS = 20_000;

    private final ServerSocket server;
    private final Thread thread;
    private volatile Socket accepted;
    private volatile Throwable failure;

    FakeDaemon(Script script) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        server.setSoTimeout(MAX_WAIT_MILLIS);
        thread = new Thread(() -> serve(script), "fake-rsync-daemon");
        thread.setDaemon(true);
        thread.start();
    }

    private void serve(Script script) {
        try (ServerSocket ss = server; Socket s = ss.accept()) {
            accepted = s;
            s.setSoTimeout(MAX_WAIT_MILLIS);
            Conn c = new Conn(s);
            script.run(c);
            if (!s.isClosed()) {
                c.out.flush();
                if (c.stopReading) {
                    Thread.sleep(MAX_WAIT_MILLIS); // never reads again; close() or the deadline ends this
                } else {
                    c.drainUntilClosed();
                }
            }
        } catch (InterruptedException e) {
            // close(): the test is over
        } catch (Throwable e) {
            failure = e; // usually the client hanging up mid-script, which is fine; kept for diagnostics
        }
    }

    int port() {
        return server.getLocalPort();
    }

    /** What went wrong on the daemon's side, if anything: printed with a failing assertion. */
    String diagnostics() {
        Throwable f = failure;
        if (f == null) {
            return "fake daemon: script completed";
        }
        StringWriter w = new StringWriter();
        f.printStackTrace(new PrintWriter(w));
        return "fake daemon stopped on: " + w;
    }

    @Override
    public void close() throws IOException {
        server.close();
        Socket s = accepted;
        if (s != null) {
            s.close();
        }
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static final class Conn {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        /** Set by a script whose daemon must never read again once it returns. */
        boolean stopReading;
        /** True once {@link #plainSetup()} has run: from there on both directions are framed. */
        boolean multiplexed;

        Conn(Socket s) throws IOException {
            socket = s;
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        void write(byte[] b) throws IOException {
            out.write(b);
            out.flush();
        }

        void line(String s) throws IOException {
            write((s + "\n").getBytes(StandardCharsets.UTF_8));
        }

        /** One client handshake line, without its newline (bounded: a client's lines are short). */
        String readLine() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("client closed during the handshake");
                }
                if (b.size() > 4096) {
                    throw new IOException("client handshake line too long");
                }
                b.write(c);
            }
            return b.toString(StandardCharsets.UTF_8);
        }

        /** Greeting (protocol 32 with a digest list), then the client's greeting and module lines. */
        void greet() throws IOException {
            line("@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4");
            readLine();
            readLine();
        }

        /** Reads the client's NUL-terminated arguments up to the empty one that ends them (protocol >= 30). */
        int readArgs() throws IOException {
            int count = 0;
            int len = 0;
            for (int total = 0; total < 65536; total++) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("client closed during args");
                }
                if (c != 0) {
                    len++;
                } else if (len == 0) {
                    return count;
                } else {
                    count++;
                    len = 0;
                }
            }
            throw new IOException("client arguments never ended");
        }

        /** Greeting, module, "@RSYNCD: OK", and the client's arguments. */
        void acceptLogin() throws IOException {
            greet();
            line("@RSYNCD: OK");
            readArgs();
        }

        /**
         * Compat flags 0x28 (SAFE_FLIST | CHKSUM_SEED_FIX: no varint flist flags, so no checksum negotiation and
         * md5 sums, seed first) as a one-byte varint, then the seed. Multiplexing starts after this.
         */
        void plainSetup() throws IOException {
            varint(0x28);
            le32(SEED);
            out.flush();
            multiplexed = true;
        }

        /** The checksum seed {@link #plainSetup()} sends. */
        static final int SEED = 0x12345678;

        void le32(int v) throws IOException {
            out.write(i32(v));
        }

        void varint(int v) throws IOException {
            out.write(Wire.varint(v));
        }

        void vstring(String s) throws IOException {
            out.write(Wire.vstring(s.getBytes(StandardCharsets.UTF_8)));
        }

        /** A multiplexed frame: 4-byte little-endian header ((7 + tag) << 24 | length), then the payload. */
        void frame(int tag, byte[] payload) throws IOException {
            le32(((7 + tag) << 24) | payload.length);
            out.write(payload);
            out.flush();
        }

        void data(byte[] payload) throws IOException {
            frame(0, payload);
        }

        void data(int... bytes) throws IOException {
            byte[] b = new byte[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                b[i] = (byte) bytes[i];
            }
            frame(0, b);
        }

        /** Reads (and discards) n bytes of whatever the client sends next. */
        void skip(int n) throws IOException {
            byte[] buf = new byte[8192];
            while (n > 0) {
                int r = in.read(buf, 0, Math.min(n, buf.length));
                if (r < 0) {
                    throw new IOException("client closed");
                }
                n -= r;
            }
        }

        /** Ends the connection with a TCP reset (SO_LINGER 0) instead of an orderly close. */
        void reset() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        /**
         * Discards what the client sends until it hangs up. Once multiplexed, reads it frame by frame and, as a
         * real daemon does, answers the client's MSG_ERROR_EXIT(code) with an empty one and hangs up (stock rsync
         * waits for that before it exits; see the referee mode).
         */
        void drainUntilClosed() throws IOException {
            byte[] buf = new byte[65536];
            try {
                if (!multiplexed) {
                    while (in.read(buf) >= 0) {
                        // discard: the client's arguments, file list and whatever follows
                    }
                    return;
                }
                byte[] h = new byte[4];
                while (readFully(h, 4)) {
                    int header = (h[0] & 0xff) | (h[1] & 0xff) << 8 | (h[2] & 0xff) << 16 | (h[3] & 0xff) << 24;
                    int tag = (header >>> 24) - 7;
                    int len = header & 0xffffff;
                    byte[] payload = new byte[Math.min(len, buf.length)];
                    for (int left = len; left > 0; left -= payload.length) {
                        if (!readFully(payload, Math.min(left, payload.length))) {
                            return;
                        }
                    }
                    if (tag == 86) {
                        if (len == 4) {
                            frame(86, new byte[0]);
                        }
                        socket.close();
                        return;
                    }
                }
            } catch (SocketTimeoutException e) {
                // the client neither sent nor hung up within the bound: stop anyway
            }
        }

        /**
         * Reads the client's frames until its DATA holds {@code pattern} followed by {@code after} more bytes, and
         * returns those bytes: the script waits for a request instead of sleeping. A client giving up ends it.
         */
        byte[] awaitData(byte[] pattern, int after) throws IOException {
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            byte[] h = new byte[4];
            while (readFully(h, 4)) {
                int header = (h[0] & 0xff) | (h[1] & 0xff) << 8 | (h[2] & 0xff) << 16 | (h[3] & 0xff) << 24;
                int tag = (header >>> 24) - 7;
                byte[] payload = new byte[header & 0xffffff];
                if (!readFully(payload, payload.length)) {
                    break;
                }
                if (tag == 86) {
                    throw new IOException("the client gave up while the script waited for its request");
                }
                if (tag == 0) {
                    data.writeBytes(payload);
                    byte[] all = data.toByteArray();
                    for (int i = 0; i + pattern.length + after <= all.length; i++) {
                        if (java.util.Arrays.equals(all, i, i + pattern.length, pattern, 0, pattern.length)) {
                            return java.util.Arrays.copyOfRange(all, i + pattern.length, i + pattern.length + after);
                        }
                    }
                }
            }
            throw new IOException("client closed while the script waited for its request");
        }

        private boolean readFully(byte[] b, int len) throws IOException {
            for (int off = 0; off < len; ) {
                int n = in.read(b, off, len - off);
                if (n < 0) {
                    return false;
                }
                off += n;
            }
            return true;
        }
    }

    /**
     * Builds generator output (the DATA payload a daemon sends to a pushing client) with rsync's encodings:
     * write_ndx with its per-direction state, shortint iflags, int32 sum heads and sums.
     */
    static final class Wire {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();
        private int lastPositive = -1;
        private int lastNegative = 1;

        /** io.c write_ndx (protocol >= 30). */
        Wire ndx(int ndx) {
            if (ndx == -1) {
                b.write(0); // NDX_DONE
                return this;
            }
            int diff;
            int n = ndx;
            if (ndx >= 0) {
                diff = ndx - lastPositive;
                lastPositive = ndx;
            } else {
                b.write(0xff);
                n = -ndx;
                diff = n - lastNegative;
                lastNegative = n;
            }
            if (diff > 0 && diff < 0xfe) {
                b.write(diff);
            } else if (diff < 0 || diff > 0x7fff) {
                b.write(0xfe);
                b.write((n >> 24) | 0x80);
                b.write(n);
                b.write(n >> 8);
                b.write(n >> 16);
            } else {
                b.write(0xfe);
                b.write(diff >> 8);
                b.write(diff);
            }
            return this;
        }

        Wire done() {
            return ndx(-1);
        }

        Wire shortInt(int v) {
            b.write(v);
            b.write(v >> 8);
            return this;
        }

        Wire int32(int v) {
            b.writeBytes(i32(v));
            return this;
        }

        Wire bytes(byte[] v) {
            b.writeBytes(v);
            return this;
        }

        /** ndx + iflags ITEM_TRANSFER (0x8000) + sum head (count, blength, s2length, remainder). */
        Wire transfer(int ndx, int count, int blength, int s2length, int remainder) {
            return ndx(ndx).shortInt(0x8000).int32(count).int32(blength).int32(s2length).int32(remainder);
        }

        byte[] toBytes() {
            return b.toByteArray();
        }

        /** io.c write_varint. */
        static byte[] varint(int x) {
            byte[] b = new byte[5];
            byte[] le = i32(x);
            System.arraycopy(le, 0, b, 1, 4);
            int cnt = 4;
            while (cnt > 1 && b[cnt] == 0) {
                cnt--;
            }
            int bit = 1 << (7 - cnt + 1);
            if ((b[cnt] & 0xff) >= bit) {
                cnt++;
                b[0] = (byte) ~(bit - 1);
            } else if (cnt > 1) {
                b[0] = (byte) (b[cnt] | ~(bit * 2 - 1));
            } else {
                b[0] = b[cnt];
            }
            byte[] out = new byte[cnt];
            System.arraycopy(b, 0, out, 0, cnt);
            return out;
        }

        /** io.c write_vstring: one length byte below 0x80, else two (0x80 | high, low). */
        static byte[] vstring(byte[] s) {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            if (s.length >= 0x80) {
                o.write(0x80 | (s.length >> 8));
            }
            o.write(s.length);
            o.writeBytes(s);
            return o.toByteArray();
        }
    }

    static Wire wire() {
        return new Wire();
    }

    /** Little-endian int32. */
    static byte[] i32(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }
}
