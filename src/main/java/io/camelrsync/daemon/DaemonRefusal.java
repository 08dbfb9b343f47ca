package io.camelrsync.daemon;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;

/** The handshake refused the client; the @ERROR line has already been sent to it. */
public final class DaemonRefusal extends RsyncException {
    public DaemonRefusal(String message) {
        super(ExitCode.START_CLIENT, message);
    }
}
