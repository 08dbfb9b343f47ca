package io.camelrsync.cli;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;

/** A command-line mistake: rsync's "syntax or usage error" (exit 1). */
final class UsageException extends RsyncException {
    UsageException(String message) {
        super(ExitCode.SYNTAX, message);
    }
}
