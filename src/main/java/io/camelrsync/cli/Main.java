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
        if (args.isEmpty() || List.of("--help", "-h", "help").contains(args.get(0))) {
            out.print(usage());
            return args.isEmpty() ? ExitCode.SYNTAX : ExitCode.OK;
        }
        String command = args.get(0);
        List<String> rest = args.subList(1, args.size());
        if (List.of("--version", "-V", "version").contains(command) || rest.contains("--version")
                || rest.contains("-V")) {
            out.print(versionText());
            return ExitCode.OK;
        }
        // rsync: --help anywhere, -h when it is the only argument (else it is --human-readable)
        if (Help.COMMANDS.contains(command) && (rest.contains("--help") || rest.equals(List.of("-h")))) {
            out.print(Help.of(command));
            return ExitCode.OK;
        }
        try {
            return switch (command) {
                case "push" -> PushCommand.run(rest, out, err);
                case "pull" -> PullCommand.run(rest, out, err);
                case "daemon" -> DaemonCommand.run(rest, out, err);
                case "mirror" -> MirrorCommand.run(rest, out, err);
                default -> throw new UsageException("unknown command '" + command + "'\n" + usage());
            };
        } catch (RsyncException e) {
            return fail(err, e.shownToUser() ? "" : e.getMessage(), e.exitCode(), role(command));
        } catch (IllegalArgumentException e) {
            return fail(err, e.getMessage(), ExitCode.SYNTAX, role(command));
        } catch (java.io.IOException e) {
            return fail(err, "rsync: " + e.getMessage(), ExitCode.FILE_IO, role(command));
        } catch (Exception e) {
            return fail(err, "camel-rsync: " + e.getMessage(), ExitCode.FILE_SELECT, role(command));
        }
    }

    /** Who rsync's summary line names (main.c who_am_i): a pulling client is the Receiver. */
    static String role(String command) {
        return command.equals("pull") ? "Receiver" : "sender";
    }

    static int fail(PrintStream err, String message, int code) {
        return fail(err, message, code, "sender");
    }

    static int fail(PrintStream err, String message, int code, String role) {
        if (message != null && !message.isEmpty()) {
            err.println(message);
        }
        err.println("rsync error: " + describe(code) + " (code " + code + ") at camel-rsync [" + role + "="
                + version() + "]");
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

    /** The project's version, as the build wrote it into version.properties. */
    static String version() {
        try (java.io.InputStream in = Main.class.getResourceAsStream("version.properties")) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) {
                p.load(in);
            }
            String v = p.getProperty("version", "");
            return v.isEmpty() || v.startsWith("${") ? "dev" : v;
        } catch (java.io.IOException e) {
            return "dev";
        }
    }

    /** What --version (-V) prints, on any command. */
    static String versionText() {
        return "camel-rsync version " + version() + "  protocol version 32 (also speaks 30 and 31)\n"
                + "The rsync protocol in Java on Apache Camel; https://rsync.samba.org is the reference.\n";
    }

    static String usage() {
        return """
                usage: camel-rsync <command> [options] ...

                  push    send a tree (or a list of changed paths) to an rsync daemon, as rsync does
                  pull    fetch a tree from an rsync daemon into a local directory (a restore)
                  mirror  mirror a tree live to one or more rsync daemons (inotify, batches, moves)
                  daemon  serve rsyncd.conf modules to stock rsync clients, as rsync --daemon does
                  version print the version (also --version, -V on any command)

                camel-rsync COMMAND --help lists a command's options; man docs/camel-rsync.1 has them all.
                """;
    }
}
