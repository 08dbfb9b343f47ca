package io.camelrsync.client;

import io.camelrsync.protocol.AuthDigest;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.Printable;
import io.camelrsync.protocol.RsyncException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The daemon's text handshake (clientserver.c start_inband_exchange, authenticate.c): greetings, module
 * request, MOTD, challenge-response login, up to "@RSYNCD: OK".
 */
final class DaemonLogin {
    private final InputStream in;
    private final OutputStream out;
    private final RsyncTarget target;
    private final PushOptions options;
    private final PushListener listener;

    DaemonLogin(InputStream in, OutputStream out, RsyncTarget target, PushOptions options, PushListener listener) {
        this.in = in;
        this.out = out;
        this.target = target;
        this.options = options;
        this.listener = listener;
    }

    /** Runs the handshake; returns the negotiated protocol version. */
    int run() throws IOException {
        boolean sendDigestList = options.protocol >= 32;
        StringBuilder greeting = new StringBuilder("@RSYNCD: ").append(options.protocol).append(".0");
        if (sendDigestList) {
            greeting.append(' ').append(AuthDigest.wireList());
        }
        write(greeting + "\n");
        String line = readLine();
        if (line.startsWith("@ERROR")) {
            throw new RsyncException(ExitCode.START_CLIENT, Printable.of(line));
        }
        if (!line.startsWith("@RSYNCD: ")) {
            throw new RsyncException(ExitCode.PROTOCOL, "rsync: did not see server greeting (got \""
                    + printable(line) + "\"); is " + target.host() + ":" + target.port() + " an rsync daemon?");
        }
        String[] words = line.substring(9).trim().split("\\s+");
        int remote = parseVersion(words[0]);
        if (remote < 30) {
            throw new RsyncException(ExitCode.PROTOCOL, "rsync: the daemon speaks protocol " + remote
                    + " (rsync older than 3.0); camel-rsync speaks protocols 30 to 32");
        }
        int protocol = Math.min(remote, options.protocol);
        List<String> serverDigests = Arrays.asList(words).subList(1, words.length);

        write(target.module() + "\n");
        int motdLines = 0;
        while (true) {
            line = readLine();
            if (line.startsWith("@RSYNCD: AUTHREQD ")) {
                sendLogin(line.substring("@RSYNCD: AUTHREQD ".length()).trim(),
                        sendDigestList && !serverDigests.isEmpty() ? serverDigests : List.of());
            } else if (line.equals("@RSYNCD: OK")) {
                return protocol;
            } else if (line.startsWith("@ERROR")) {
                throw new RsyncException(ExitCode.START_CLIENT, Printable.of(line) + hint(line));
            } else if (line.equals("@RSYNCD: EXIT")) {
                throw new RsyncException(ExitCode.START_CLIENT, "the daemon ended the session before the transfer");
            } else {
                if (++motdLines > Limits.MAX_MOTD_LINES) {
                    throw RsyncException.protocol("the daemon sent over " + Limits.MAX_MOTD_LINES
                            + " lines without accepting the module");
                }
                listener.motd(Printable.of(line));
            }
        }
    }

    private void sendLogin(String challenge, List<String> serverDigests) throws IOException {
        String user = options.user != null ? options.user : target.user();
        if (user == null) {
            user = System.getenv("USER") != null ? System.getenv("USER") : System.getProperty("user.name");
        }
        String password = Password.resolve(options);
        if (password == null) {
            throw new RsyncException(ExitCode.START_CLIENT, "@ERROR: auth failed on module " + target.module()
                    + " (the module needs a password: give --password-file or set RSYNC_PASSWORD)");
        }
        // md5 when either side sent no list
        AuthDigest digest = AuthDigest.forClient(serverDigests).orElseThrow(() -> new RsyncException(
                ExitCode.PROTOCOL, "no common login digest with the daemon (it offers "
                + printable(String.join(" ", serverDigests)) + ")"));
        write(user + " " + digest.response(password, challenge) + "\n");
    }

    private static String hint(String error) {
        if (error.startsWith("@ERROR: auth failed")) {
            return "\n(check the user name and password; on the daemon check \"auth users\" and the secrets file,"
                    + " whose lines are user:password, mode 600 - and that no comment follows a value in rsyncd.conf)";
        }
        return "";
    }

    private static int parseVersion(String v) throws RsyncException {
        try {
            int dot = v.indexOf('.');
            return Integer.parseInt(dot < 0 ? v : v.substring(0, dot));
        } catch (NumberFormatException e) {
            throw RsyncException.protocol("bad protocol version in the daemon's greeting: " + printable(v));
        }
    }

    private void write(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        while (true) {
            int b;
            try {
                b = in.read();
            } catch (java.net.SocketTimeoutException e) {
                throw new RsyncException(ExitCode.TIMEOUT, "timed out waiting for the daemon's handshake");
            }
            if (b < 0) {
                throw new RsyncException(ExitCode.START_CLIENT, "rsync: connection unexpectedly closed by "
                        + target.host() + " during the handshake");
            }
            if (b == '\n') {
                break;
            }
            if (buf.size() >= Limits.MAX_LINE) {
                throw RsyncException.protocol("handshake line longer than " + Limits.MAX_LINE + " bytes");
            }
            buf.write(b);
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    static String printable(String s) {
        String p = Printable.of(s);
        return p.length() > 200 ? p.substring(0, 200) + "..." : p;
    }
}
