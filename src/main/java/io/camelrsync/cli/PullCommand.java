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
        if (a.operands.size() < 2) {
            throw new UsageException("pull needs at least one SRC (on a daemon) and one DEST (got "
                    + a.operands.size() + " operands)\n" + Main.usage());
        }
        List<RsyncTarget> sources = new java.util.ArrayList<>();
        for (String src : a.operands.subList(0, a.operands.size() - 1)) {
            sources.add(RsyncTarget.parse(src, a.port));
        }
        ConsoleReporter reporter = new ConsoleReporter(out, err, a.options.verbose, a.progress, a.quiet);
        if (a.options.verbose > 0 && !a.quiet) {
            out.println("receiving file list"); // what rsync -v prints first on a pull
        }
        PullSession pull;
        try {
            pull = new PullSession(sources, Path.of(a.operands.get(a.operands.size() - 1)), a.options, reporter);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        TransferStats stats = pull.run();
        reporter.summary(stats, a.stats);
        if (stats.exitCode != ExitCode.OK) {
            return Main.fail(err, "", stats.exitCode, Main.role("pull"));
        }
        return ExitCode.OK;
    }
}
