package io.camelrsync.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A scripted rsync daemon that misbehaves on purpose. It speaks the server side byte by byte with its own
 * encoders (independent of the client's codec), drains whatever the client sends once the script no longer
 * reads, and holds the connection until the client hangs up, so the client sees exactly what the script wrote.
 */
final class FakeDaemon implements AutoCloseable {
    interface Script {
        void run(Conn c) throws Exception;
    }

    private final ServerSocket server;
    private final Thread thread;

    FakeDaemon(Script script) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        server.setSoTimeout(20_000);
        thread = new Thread(() -> {
            try (Socket s = server.accept()) {
                s.setSoTimeout(20_000);
                Conn c = new Conn(s);
                script.run(c);
                c.out.flush();
                if (!c.stopReading) {
                    c.drainUntilClosed();
                } else {
                    Thread.sleep(15_000); // a daemon that never reads again; the client must give up first
                }
            } catch (Exception ignored) {
                // the client hanging up on us is the expected end of every script
            }
        }, "fake-rsync-daemon");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
        thread.interrupt();
    }

    static final class Conn {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        boolean stopReading;

        Conn(Socket s) throws IOException {
            socket = s;
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        void line(String s) throws IOException {
            out.write((s + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        String readLine() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("client closed");
                }
                b.write(c);
            }
            return b.toString(StandardCharsets.UTF_8);
        }

        /** Greeting, module, "@RSYNCD: OK", and the client's NUL-separated arguments. */
        void acceptLogin() throws IOException {
            line("@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4");
            readLine();
            readLine();
            line("@RSYNCD: OK");
            int empty = 0;
            ByteArrayOutputStream arg = new ByteArrayOutputStream();
            while (empty == 0) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("client closed during args");
                }
                if (c == 0) {
                    empty = arg.size() == 0 ? 1 : 0;
                    arg.reset();
                } else {
                    arg.write(c);
                }
            }
        }

        /** Compat flags without varint negotiation (md5), then the seed: multiplexing starts after this. */
        void plainSetup() throws IOException {
            out.write(0x28); // SAFE_FLIST | CHKSUM_SEED_FIX, one byte
            le32(0x12345678);
            out.flush();
        }

        void le32(int v) throws IOException {
            out.write(new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)});
        }

        /** A multiplexed frame: 4-byte header ((7 + tag) << 24 | length), then the payload. */
        void frame(int tag, byte[] payload) throws IOException {
            le32(((7 + tag) << 24) | payload.length);
            out.write(payload);
            out.flush();
        }

        void data(int... bytes) throws IOException {
            byte[] b = new byte[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                b[i] = (byte) bytes[i];
            }
            frame(0, b);
        }

        void drainUntilClosed() throws IOException {
            byte[] buf = new byte[65536];
            while (in.read(buf) >= 0) {
                // discard: the client's file list and whatever follows
            }
        }
    }

    /** Little-endian int32 as bytes, for building DATA payloads. */
    static int[] i32(int v) {
        return new int[] {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff};
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
