package io.camelrsync.cli;

import io.camelrsync.client.PullSession;
import io.camelrsync.client.RsyncTarget;
import io.camelrsync.client.TransferStats;
import io.camelrsync.protocol.ExitCode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** {@code camel-rsync pull [rsync options] SRC DEST}: SRC on a daemon, DEST a local directory. */
final class PullCommand {
    private PullCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) throws IOException {
        PushArgs a = PushArgs.parse(argv);
        if (a.operands.size() != 2) {
            throw new UsageException("pull needs exactly one SRC (on a daemon) and one DEST (got "
                    + a.operands.size() + " operands)\n" + Main.usage());
        }
        RsyncTarget source = RsyncTarget.parse(a.operands.get(0), a.port);
        ConsoleReporter reporter = new ConsoleReporter(out, err, a.options.verbose, a.progress, a.quiet);
        if (a.options.verbose > 0 && !a.quiet) {
            out.println("receiving file list"); // what rsync -v prints first on a pull
        }
        TransferStats stats = new PullSession(source, Path.of(a.operands.get(1)), a.options, reporter).run();
        reporter.summary(stats, a.stats);
        if (stats.exitCode != ExitCode.OK) {
            return Main.fail(err, "", stats.exitCode, Main.role("pull"));
        }
        return ExitCode.OK;
    }
}
