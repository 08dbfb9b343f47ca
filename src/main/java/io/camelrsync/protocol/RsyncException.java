package io.camelrsync.protocol;

import java.io.IOException;

/** A failure with the exit code stock rsync would report for it. */
public class RsyncException extends IOException {
    private final int exitCode;
    private boolean shownToUser;

    public RsyncException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public RsyncException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    /** True when the text already reached the user as the peer's own message (don't print it twice). */
    public boolean shownToUser() {
        return shownToUser;
    }

    public RsyncException markShown() {
        shownToUser = true;
        return this;
    }

    /** A peer broke the protocol: rsync's "protocol incompatibility" (exit 2). */
    public static RsyncException protocol(String message) {
        return new RsyncException(ExitCode.PROTOCOL, message);
    }
}
