package io.camelrsync.cli;

import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.protocol.ExitCode;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How {@code camel-rsync daemon} detaches, as rsync's become_daemon does: a JVM cannot fork, so it starts the same
 * command again as a process of its own ({@code --no-detach}, in a new session through setsid(1) when there is
 * one, stdin from /dev/null, output to the config's log file or nowhere) and waits until that one says, through a
 * file named in its environment, that it listens, or why it could not.
 */
final class Detached {
    /** How long a daemon may take to start listening. */
    private static final long START_SECONDS = 60;

    private Detached() {
    }

    static int start(List<String> argv, RsyncdConf conf, PrintStream err) throws IOException {
        Path ready = Files.createTempFile("camel-rsync-daemon", ".ready");
        try {
            List<String> command = new ArrayList<>();
            if (new File("/usr/bin/setsid").canExecute()) {
                command.add("/usr/bin/setsid"); // no controlling terminal: a closed shell does not hang it up
            }
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(Main.class.getName());
            command.add("daemon");
            command.addAll(argv);
            command.add("--no-detach");
            File logFile = conf.global("log file").map(c -> new File(c.value())).orElse(null);
            if (logFile == null) {
                err.println("warning: no \"log file\" in the config: the detached daemon logs nowhere (set one, or"
                        + " run it with --no-detach under a service manager that keeps its output)");
            }
            ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
                    new File("/dev/null")));
            File output = logFile != null ? logFile : new File("/dev/null");
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(output)).redirectErrorStream(true);
            pb.environment().put(DaemonCommand.READY_FILE, ready.toString());
            Process daemon = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
            while (System.nanoTime() < deadline) {
                String said = Files.readString(ready, StandardCharsets.UTF_8);
                if (!said.isEmpty() && !said.endsWith("\n")) {
                    said = ""; // still being written
                }
                if (said.startsWith("ok")) {
                    return ExitCode.OK;
                }
                if (!said.isEmpty() || !daemon.isAlive()) {
                    if (daemon.waitFor(5, TimeUnit.SECONDS)) {
                        err.println(said.isEmpty() ? "rsync: the daemon exited with code " + daemon.exitValue()
                                + " before it listened" + (logFile == null ? "" : "; see " + logFile) : said.strip());
                        return daemon.exitValue() == 0 ? ExitCode.SOCKET_IO : daemon.exitValue();
                    }
                    err.println(said.strip());
                    daemon.destroy();
                    return ExitCode.SOCKET_IO;
                }
                Thread.sleep(20);
            }
            daemon.destroy();
            err.println("rsync: the daemon did not start listening within " + START_SECONDS + " s; stopped it");
            return ExitCode.START_CLIENT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.START_CLIENT;
        } finally {
            Files.deleteIfExists(ready);
        }
    }

    /** In a detached daemon: tells the command that started it that it listens (null) or why it cannot. */
    static void report(String failure) {
        String file = System.getenv(DaemonCommand.READY_FILE);
        if (file == null) {
            return;
        }
        try {
            Files.writeString(Path.of(file), failure == null ? "ok\n" : failure + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING); // gone: nobody waits any more
        } catch (IOException e) {
            // the starter is gone or timed out: nobody is waiting
        }
    }
}
