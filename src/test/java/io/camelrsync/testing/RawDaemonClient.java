package io.camelrsync.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A daemon client scripted byte by byte, so a test can stop it anywhere: mid-handshake, mid-session. */
public final class RawDaemonClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawDaemonClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(20_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Exchanges greetings; returns the daemon's. */
    public String greet() throws IOException {
        send("@RSYNCD: 32.0 md5\n");
        return readLine();
    }

    /** Names the module; returns "@RSYNCD: OK" or the daemon's @ERROR line. */
    public String pickModule(String module) throws IOException {
        send(module + "\n");
        for (String line; ; ) {
            line = readLine();
            if (line.equals("@RSYNCD: OK") || line.startsWith("@ERROR")) {
                return line;
            }
        }
    }

    /** The --server arguments, each NUL-terminated, then the empty one that ends them. */
    public void sendArgs(String... args) throws IOException {
        for (String a : args) {
            out.write(a.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        out.write(0);
        out.flush();
    }

    public void send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    public String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("the daemon closed the connection after \"" + b + "\"");
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /** Reads whatever comes until the daemon hangs up; false if it is still connected after 20 seconds. */
    public boolean hungUp() throws IOException {
        byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // what the daemon sends before hanging up does not matter here
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
