package io.camelrsync.client;

import io.camelrsync.protocol.AuthDigest;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.HandshakeCodec;
import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.Printable;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
        write(HandshakeCodec.Greeting.format(options.protocol, List.of(AuthDigest.wireList().split(" "))));
        String line = readLine();
        if (line.startsWith("@ERROR")) {
            throw new RsyncException(ExitCode.START_CLIENT, Printable.of(line));
        }
        if (!line.startsWith("@RSYNCD: ")) {
            throw new RsyncException(ExitCode.PROTOCOL, "rsync: did not see server greeting (got \""
                    + printable(line) + "\"); is " + target.host() + ":" + target.port() + " an rsync daemon?");
        }
        String greetingLine = line;
        HandshakeCodec.Greeting greeting = HandshakeCodec.Greeting.parse(line).orElseThrow(() ->
                RsyncException.protocol("bad protocol version in the daemon's greeting: " + printable(greetingLine)));
        int remote = greeting.protocol();
        if (remote < 30) {
            throw new RsyncException(ExitCode.PROTOCOL, "rsync: the daemon speaks protocol " + remote
                    + " (rsync older than 3.0); camel-rsync speaks protocols 30 to 32");
        }
        int protocol = Math.min(remote, options.protocol);
        List<String> serverDigests = greeting.digests();

        write(target.module());
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
        write(user + " " + digest.response(password, challenge));
    }

    private static String hint(String error) {
        if (error.startsWith("@ERROR: auth failed")) {
            return "\n(check the user name and password; on the daemon check \"auth users\" and the secrets file,"
                    + " whose lines are user:password, mode 600 - and that no comment follows a value in rsyncd.conf)";
        }
        return "";
    }

    private void write(String line) throws IOException {
        HandshakeCodec.writeLine(out, line);
    }

    private String readLine() throws IOException {
        try {
            return HandshakeCodec.readLine(in, () -> new RsyncException(ExitCode.START_CLIENT,
                    "rsync: connection unexpectedly closed by " + target.host() + " during the handshake"));
        } catch (java.net.SocketTimeoutException e) {
            throw new RsyncException(ExitCode.TIMEOUT, "timed out waiting for the daemon's handshake");
        }
    }

    static String printable(String s) {
        String p = Printable.of(s);
        return p.length() > 200 ? p.substring(0, 200) + "..." : p;
    }
}
