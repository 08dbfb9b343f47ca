package io.camelrsync.client;

import io.camelrsync.protocol.CompatFlags;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.Negotiation;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.protocol.BandwidthLimit;
import io.camelrsync.protocol.MultiplexReader;
import io.camelrsync.protocol.StallWatchdog;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

/**
 * The client's end of a daemon session before either role starts, shared by pushes and pulls: the connection,
 * the daemon's compat flags and the checksum negotiation (main.c start_socket_client, compat.c setup_protocol).
 */
public final class DaemonConnection {
    private DaemonConnection() {
    }

    /** A connection to the daemon (TLS when asked), with rsync's texts and exit codes for what fails. */
    public static Socket open(RsyncTarget target, PushOptions options) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(target.host(), target.port()), options.connectTimeoutSeconds * 1000);
        } catch (SocketTimeoutException e) {
            s.close();
            throw new RsyncException(ExitCode.CONNECT_TIMEOUT, "rsync: failed to connect to " + target.host()
                    + " (" + target.host() + "): Connection timed out (110)");
        } catch (UnknownHostException e) {
            s.close();
            throw new RsyncException(ExitCode.SOCKET_IO, "rsync: getaddrinfo: " + target.host() + " "
                    + target.port() + ": Name or service not known");
        } catch (IOException e) {
            s.close();
            throw new RsyncException(ExitCode.SOCKET_IO, "rsync: failed to connect to " + target.host() + " ("
                    + target.host() + "): " + e.getMessage() + " (is the daemon running on port " + target.port()
                    + "?)", e);
        }
        s.setTcpNoDelay(true);
        s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, options.ioTimeoutMillis()));
        return options.tls ? TlsClient.wrap(s, target.host(), target.port(), options) : s;
    }

    /** compat.c setup_protocol, the client's side: the daemon's compat flags, never incremental recursion. */
    public static CompatFlags readCompatFlags(WireInput in) throws IOException {
        CompatFlags compat;
        try {
            compat = new CompatFlags(in.readVarint());
        } catch (RsyncException e) {
            if (e.exitCode() != ExitCode.STREAM_IO) {
                throw e; // bad data, not a hang-up
            }
            throw new RsyncException(ExitCode.START_CLIENT, "rsync: the daemon closed the connection after the"
                    + " arguments (it may refuse one of our options; see its log)", e);
        }
        if (compat.incRecurse()) {
            throw RsyncException.protocol("the daemon turned on incremental recursion, which we did not offer");
        }
        return compat;
    }

    /** compat.c negotiate_the_strings, the client's side: the checksum and the compressor for what we asked. */
    public static Negotiation.Result negotiate(WireInput in, WireOutput out, CompatFlags compat,
                                               PushOptions options) throws IOException {
        return Negotiation.client(in, out, compat, new Negotiation.Asked(options.checksumChoice, options.compress,
                options.compressChoice, options.compressLevel));
    }

    /** A session's streams: input acknowledged at once, output watched for stalls and paced by --bwlimit. */
    public record Streams(BufferedInputStream in, StallWatchdog watchdog, OutputStream out) {
    }

    public static Streams streams(Socket socket, PushOptions options) throws IOException {
        BufferedInputStream in = new BufferedInputStream(new QuickAckInput(socket), 64 * 1024);
        StallWatchdog watchdog = new StallWatchdog(socket.getOutputStream(), socket, options.ioTimeoutMillis());
        OutputStream out = new BufferedOutputStream(options.bwlimit > 0
                ? new BandwidthLimit(watchdog, options.bwlimit) : watchdog, 64 * 1024);
        return new Streams(in, watchdog, out);
    }

    /**
     * A session's failure as rsync reports it ({@code role}: sender or receiver): a timeout, a broken connection,
     * or the daemon's own exit, whose code and last error (already shown to the user) say more than our read.
     */
    public static RsyncException failure(IOException e, MultiplexReader reader, String lastDaemonError,
                                         PushOptions options, String role) {
        RsyncException mapped = e instanceof RsyncException r ? r
                : e instanceof SocketTimeoutException ? new RsyncException(ExitCode.TIMEOUT, "[" + role
                + "] io timeout after " + options.ioTimeoutMillis() / 1000 + " seconds -- exiting", e)
                : new RsyncException(ExitCode.STREAM_IO, "rsync: connection unexpectedly closed ("
                + e.getMessage() + ")", e);
        if (reader != null && reader.errorExit() > 0) {
            String text = lastDaemonError != null ? lastDaemonError.trim() : mapped.getMessage();
            RsyncException exit = new RsyncException(reader.errorExit(), text, mapped);
            return lastDaemonError != null ? exit.markShown() : exit;
        }
        return mapped;
    }
}
