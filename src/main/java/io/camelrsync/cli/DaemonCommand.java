package io.camelrsync.cli;

import io.camelrsync.client.RsyncTarget;
import io.camelrsync.daemon.DaemonServer;
import io.camelrsync.daemon.DaemonTls;
import io.camelrsync.daemonconf.ConfParam;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.daemonconf.RsyncdConfFile;
import io.camelrsync.protocol.ExitCode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * {@code camel-rsync daemon [--config FILE] [--port N] [--address A] [--ssl-cert FILE --ssl-key FILE]
 * [--no-detach]}: serves the rsyncd.conf modules until stopped. Like rsync --daemon it detaches: the command
 * checks the config, starts the daemon as a process of its own (a new session, no terminal) and returns once that
 * one listens, or with its error; --no-detach keeps it in the foreground, for systemd. The config is read again
 * for each new connection when it changed (RsyncdConfFile). With a certificate and key it speaks TLS only, for
 * rsync-ssl clients, on rsync-ssl's port 874 by default.
 */
final class DaemonCommand {
    /** Set in a detached daemon's environment: the file where it says whether it listens. */
    static final String READY_FILE = "CAMEL_RSYNC_READY_FILE";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");

    private DaemonCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) throws IOException {
        Path config = Path.of("/etc/rsyncd.conf");
        Integer port = null;
        String address = null;
        Path sslCert = null;
        Path sslKey = null;
        boolean detach = true;
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            String value = a.contains("=") ? a.substring(a.indexOf('=') + 1) : null;
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (value == null && List.of("--config", "--port", "--address", "--ssl-cert", "--ssl-key").contains(name)) {
                if (++i >= argv.size()) {
                    throw new UsageException("option " + name + " needs a value");
                }
                value = argv.get(i);
            }
            switch (name) {
                case "--config" -> config = Path.of(value);
                case "--port" -> port = PushArgs.intValue(name, value, 0, 65535);
                case "--address" -> address = value;
                case "--ssl-cert" -> sslCert = Path.of(value);
                case "--ssl-key" -> sslKey = Path.of(value);
                case "--no-detach" -> detach = false;
                case "--daemon" -> {
                    // rsync's own spelling of what this command is
                }
                default -> throw new UsageException("unsupported daemon option " + name
                        + " (camel-rsync daemon accepts --config, --port, --address, --ssl-cert, --ssl-key,"
                        + " --no-detach)");
            }
        }
        if ((sslCert == null) != (sslKey == null)) {
            throw new UsageException("TLS needs both --ssl-cert FILE and --ssl-key FILE (PEM)");
        }
        if (!Files.isRegularFile(config)) {
            throw new UsageException("rsync: failed to open config file " + config + ": No such file or directory"
                    + " (give --config FILE)");
        }
        RsyncdConf conf = RsyncdConf.read(config);
        Consumer<String> log = logTo(conf, err);
        boolean child = System.getenv(READY_FILE) != null;
        if (!child && (detach || conf.global("log file").isPresent())) {
            conf.warnings().forEach(w -> err.println("warning: " + w)); // the operator sees them, not only the log
        }
        DaemonTls tls = sslCert == null ? null : DaemonTls.fromPem(sslCert, sslKey); // its errors before detaching
        if (detach && !child) {
            return Detached.start(argv, conf, err); // the daemon it starts logs them
        }
        conf.warnings().forEach(w -> log.accept("warning: " + w));
        RsyncdConfFile confs = new RsyncdConfFile(config, log);
        int p = port != null ? port : conf.global("port").map(c -> Integer.parseInt(c.value().trim()))
                .orElse(tls != null ? DaemonTls.DEFAULT_PORT : RsyncTarget.DEFAULT_PORT);
        String addr = address != null ? address : conf.global("address").map(ConfParam::value).orElse("0.0.0.0");
        CountDownLatch stopped = new CountDownLatch(1);
        try (DaemonServer server = new DaemonServer(confs, log, s -> {
            if (s.refused()) {
                return; // the handshake logged it
            }
            log.accept(s.failure() == null && s.stats().pulled
                    ? "pulled from " + s.module() + ": " + s.stats().transferredFiles + " files, "
                    + s.stats().literalBytes + " literal bytes"
                    : s.failure() == null
                    ? "sent to " + s.module() + ": " + s.stats().transferredFiles + " files, "
                    + s.stats().literalBytes + " literal bytes, " + s.stats().deleted() + " deleted"
                    + (s.stats().linkedFiles + s.stats().copiedFiles == 0 ? "" : ", " + s.stats().linkedFiles
                    + " linked and " + s.stats().copiedFiles + " copied from basis dirs")
                    : "session failed: " + s.failure().getMessage());
        })) {
            try {
                server.start(addr, p, tls);
            } catch (Exception e) {
                String why = "rsync: bind to " + addr + ":" + p + " failed: " + e.getMessage();
                Detached.report(why);
                throw new io.camelrsync.protocol.RsyncException(ExitCode.SOCKET_IO, why, e);
            }
            Path pidFile = conf.global("pid file").map(c -> Path.of(c.value())).orElse(null);
            if (pidFile != null) {
                Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
            }
            // the JVM halts once the hooks are done, so the cleanup happens in the hook, not after await()
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                if (pidFile != null) {
                    try {
                        Files.deleteIfExists(pidFile);
                    } catch (IOException ignored) {
                        // nothing more to do on the way out
                    }
                }
                stopped.countDown();
            }));
            String over = tls != null ? " (TLS)" : "";
            log.accept("rsyncd (camel-rsync " + Main.version() + ") listening on " + addr + ":" + server.port() + over
                    + " with modules " + conf.modules().keySet());
            out.println("listening on " + addr + ":" + server.port() + over);
            Detached.report(null);
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ExitCode.OK;
    }

    /** The global "log file" if set, else standard error; lines stamped as rsyncd stamps them. */
    private static Consumer<String> logTo(RsyncdConf conf, PrintStream err) {
        Path file = conf.global("log file").map(c -> Path.of(c.value())).orElse(null);
        long pid = ProcessHandle.current().pid();
        return line -> {
            String stamped = LocalDateTime.now().format(STAMP) + " [" + pid + "] " + line + "\n";
            if (file == null) {
                err.print(stamped);
                return;
            }
            synchronized (DaemonCommand.class) {
                try {
                    Files.writeString(file, stamped, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                } catch (IOException e) {
                    err.print(stamped);
                }
            }
        };
    }
}
