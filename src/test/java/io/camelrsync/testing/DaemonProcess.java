package io.camelrsync.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code camel-rsync daemon ...} as a separate JVM, the way a service manager runs it. */
public final class DaemonProcess implements AutoCloseable {
    private final Process process;
    private final StringBuffer output = new StringBuffer();

    private DaemonProcess(Process process) {
        this.process = process;
    }

    /** Starts it with these daemon options and returns once it says it listens. */
    public static DaemonProcess start(String... daemonArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.camelrsync.cli.Main", "daemon"));
        cmd.addAll(List.of(daemonArgs));
        if (!cmd.contains("--no-detach")) {
            cmd.add("--no-detach"); // in the foreground, as a service manager runs it
        }
        DaemonProcess d = new DaemonProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        BufferedReader lines = new BufferedReader(new InputStreamReader(d.process.getInputStream(),
                StandardCharsets.UTF_8));
        String line;
        while ((line = lines.readLine()) != null && !line.startsWith("listening on ")) {
            d.output.append(line).append('\n'); // its log, on the same stream
        }
        assertTrue(line != null, "the daemon did not start: " + d.output);
        d.output.append(line).append('\n');
        Thread drain = new Thread(() -> {
            try {
                for (String l; (l = lines.readLine()) != null; ) {
                    d.output.append(l).append('\n');
                }
            } catch (IOException ended) {
                // the process is gone
            }
        }, "daemon-output");
        drain.setDaemon(true);
        drain.start();
        return d;
    }

    /** Everything it printed so far (its log, unless the config names a log file). */
    public String output() {
        return output.toString();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the daemon did not stop");
    }
}
