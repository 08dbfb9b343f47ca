package io.camelrsync.component;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

/**
 * A push that failed because of the target or the network: the daemon refused or was unreachable, the connection
 * broke or timed out, the daemon's side failed. The same push can succeed later, so a route redelivers it. Every
 * other failure (a refused option, a protocol error, a local error) stays a plain {@link RsyncException}: pushing
 * the same thing again would fail the same way.
 */
public class RsyncTargetException extends RsyncException {
    public RsyncTargetException(int exitCode, String message, Throwable cause) {
        super(exitCode, message, cause);
    }

    /**
     * rsync's exit codes that stand for the target or the network: 3 (the module's path, e.g. missing), 5 (the
     * daemon refused the session: auth, unknown module, max connections), 10, 11, 12, 14 (sockets, files and
     * pipes on either side), 20 (the daemon was stopped), 22 (it ran out of memory), 30, 35 (timeouts).
     */
    public static boolean isTargetFailure(int exitCode) {
        return switch (exitCode) {
            case ExitCode.FILE_SELECT, ExitCode.START_CLIENT, ExitCode.SOCKET_IO, ExitCode.FILE_IO,
                    ExitCode.STREAM_IO, ExitCode.IPC, ExitCode.SIGNAL, ExitCode.MALLOC, ExitCode.TIMEOUT,
                    ExitCode.CONNECT_TIMEOUT -> true;
            default -> false;
        };
    }

    /** A socket error that escaped rsync's exit codes is a network failure too. */
    public static boolean isNetworkFailure(IOException e) {
        return e instanceof SocketException || e instanceof SocketTimeoutException
                || e instanceof UnknownHostException;
    }
}
