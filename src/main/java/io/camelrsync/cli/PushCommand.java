package io.camelrsync.cli;

import io.camelrsync.client.PushSession;
import io.camelrsync.client.RsyncTarget;
import io.camelrsync.client.TransferStats;
import io.camelrsync.flist.ChangeSet;
import io.camelrsync.protocol.ExitCode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code camel-rsync push [rsync options] SRC DEST}. */
final class PushCommand {
    private PushCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) throws IOException {
        Path[] filesFrom = new Path[1];
        PushArgs a = new PushArgs();
        a.parseInto(argv, (args, at) -> {
            String arg = args.get(at);
            if (arg.startsWith("--files-from=")) {
                filesFrom[0] = Path.of(arg.substring("--files-from=".length()));
                return 1;
            }
            if (arg.equals("--files-from")) {
                if (at + 1 >= args.size()) {
                    throw new UsageException("option --files-from needs a value");
                }
                filesFrom[0] = Path.of(args.get(at + 1));
                return 2;
            }
            return 0;
        });
        if (a.operands.size() != 2) {
            throw new UsageException("push needs exactly one SRC and one DEST (got " + a.operands.size()
                    + " operands)\n" + Main.usage());
        }
        String src = a.operands.get(0);
        RsyncTarget target = RsyncTarget.parse(a.operands.get(1), a.port);
        ChangeSet changes = null;
        if (filesFrom[0] != null) {
            changes = ChangeSet.of(Files.readAllLines(filesFrom[0], StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).toList());
        }
        ConsoleReporter reporter = new ConsoleReporter(out, err, a.options.verbose, a.progress, a.quiet);
        if (a.options.verbose > 0 && !a.quiet) {
            out.println("sending incremental file list"); // what rsync -v prints first
        }
        boolean contents = src.endsWith("/") || changes != null;
        TransferStats stats = new PushSession(Path.of(src), contents, target, a.options, changes, reporter).run();
        reporter.summary(stats, a.stats);
        if (stats.exitCode != ExitCode.OK) {
            return Main.fail(err, "", stats.exitCode);
        }
        return ExitCode.OK;
    }
}
