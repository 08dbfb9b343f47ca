package io.camelrsync.cli;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** {@code camel-rsync <command> ...}: the entry point of the runnable jar. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        // one line per log record (java.util.logging is the slf4j backend; the mirror listens to it)
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format",
                    "%1$tF %1$tT.%1$tL %4$s [%3$s] %5$s%6$s%n");
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(Arrays.asList(args), out, err));
    }

    /** Runs a command and returns rsync's exit code for it. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("help")) {
            out.print(usage());
            return args.isEmpty() ? ExitCode.SYNTAX : ExitCode.OK;
        }
        String command = args.get(0);
        List<String> rest = args.subList(1, args.size());
        try {
            return switch (command) {
                case "push" -> PushCommand.run(rest, out, err);
                case "daemon" -> DaemonCommand.run(rest, out, err);
                case "mirror" -> MirrorCommand.run(rest, out, err);
                case "--version", "version" -> {
                    out.println("camel-rsync " + version() + "  (rsync protocol versions 30 to 32)");
                    yield ExitCode.OK;
                }
                default -> throw new UsageException("unknown command '" + command + "'\n" + usage());
            };
        } catch (RsyncException e) {
            return fail(err, e.shownToUser() ? "" : e.getMessage(), e.exitCode());
        } catch (IllegalArgumentException e) {
            return fail(err, e.getMessage(), ExitCode.SYNTAX);
        } catch (java.io.IOException e) {
            return fail(err, "rsync: " + e.getMessage(), ExitCode.FILE_IO);
        } catch (Exception e) {
            return fail(err, "camel-rsync: " + e.getMessage(), ExitCode.FILE_SELECT);
        }
    }

    static int fail(PrintStream err, String message, int code) {
        if (message != null && !message.isEmpty()) {
            err.println(message);
        }
        err.println("rsync error: " + describe(code) + " (code " + code + ") at camel-rsync [sender=" + version()
                + "]");
        return code;
    }

    static String describe(int code) {
        return switch (code) {
            case ExitCode.SYNTAX -> "syntax or usage error";
            case ExitCode.PROTOCOL -> "protocol incompatibility";
            case ExitCode.FILE_SELECT -> "errors selecting input/output files, dirs";
            case ExitCode.UNSUPPORTED -> "requested action not supported";
            case ExitCode.START_CLIENT -> "error starting client-server protocol";
            case ExitCode.SOCKET_IO -> "error in socket IO";
            case ExitCode.FILE_IO -> "error in file IO";
            case ExitCode.STREAM_IO -> "error in rsync protocol data stream";
            case ExitCode.MESSAGE_IO -> "errors with program diagnostics";
            case ExitCode.PARTIAL -> "some files/attrs were not transferred (see previous errors)";
            case ExitCode.VANISHED -> "some files vanished before they could be transferred";
            case ExitCode.TIMEOUT -> "timeout in data send/receive";
            case ExitCode.CONNECT_TIMEOUT -> "timeout waiting for daemon connection";
            default -> "error";
        };
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    static String usage() {
        return """
                usage: camel-rsync <command> [options] ...

                  push [rsync options] SRC [user@]host::module[/path]
                  push [rsync options] SRC rsync://[user@]host[:port]/module[/path]
                      Push SRC to a stock rsync daemon, speaking the rsync protocol (30-32) natively.
                      Options as rsync's: -a -v -q -r -l -p -t -g -o -D -H -n -P, --port=N, --progress,
                      --delete, -b, --backup-dir=DIR, --suffix=SUFFIX, --exclude=PAT, --exclude-from=FILE,
                      --include=PAT, --include-from=FILE, --filter=RULE, --password-file=FILE, --dry-run,
                      --stats, --timeout=SECS, --contimeout=SECS, --numeric-ids,
                      --checksum-choice=xxh128|xxh3|xxh64|md5,
                      --protocol=30|31|32, --files-from=FILE (a change set: one path a line).
                  daemon --config FILE [--port N] [--address A] [--ssl-cert FILE --ssl-key FILE] [--no-detach]
                      Serve the modules of an rsyncd.conf to stock rsync clients pushing to them
                      (receiving side; clients pulling from it are not supported yet).
                      --ssl-cert/--ssl-key (PEM certificate chain, PKCS#8 key): TLS only, for rsync-ssl
                      clients, on port 874 unless --port or the config's "port" says otherwise.
                  mirror [push options] [--delay SECONDS] [--verify-interval TIME] SRC DEST [DEST...]
                      Mirror SRC live to each DEST (host::module or rsync://...): the inotifywait loop, run by
                      routes/mirror.camel.yaml; only changed paths are pushed, one session at a time per target.
                      --delay: quiet time before a batch is pushed (default 0.01). --verify-interval: how often
                      each DEST gets a full sync that logs what was out of date (seconds, or 30m, 1h, 1d;
                      default 1h; 0: never). With no arguments: the embedded default, ./data/source mirrored
                      to our own daemon serving ./data/mirror.
                  version
                """;
    }
}
