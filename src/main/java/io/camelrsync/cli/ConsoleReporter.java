package io.camelrsync.cli;

import io.camelrsync.protocol.ItemFlags;
import io.camelrsync.client.PushListener;
import io.camelrsync.client.TransferStats;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.protocol.MessageCode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Prints a push the way the rsync client does: MOTD, names (-v), --progress lines, --stats, errors. */
final class ConsoleReporter implements PushListener {
    private final PrintStream out;
    private final PrintStream err;
    private final int verbose;
    private final boolean progress;
    private final boolean quiet;
    private long lastProgressNanos;
    private int transferred;
    private final long startNanos = System.nanoTime();

    ConsoleReporter(PrintStream out, PrintStream err, int verbose, boolean progress, boolean quiet) {
        this.out = out;
        this.err = err;
        this.verbose = verbose;
        this.progress = progress;
        this.quiet = quiet;
    }

    @Override
    public void motd(String line) {
        if (!quiet) {
            out.println(line);
        }
    }

    @Override
    public void message(int code, String text) {
        if (code == MessageCode.INFO) {
            if (!quiet) {
                out.print(text);
            }
        } else {
            err.print(text.endsWith("\n") ? text : text + "\n");
        }
    }

    @Override
    public void deleted(String path) {
        if (verbose > 0 && !quiet) {
            out.println("deleting " + path);
        }
    }

    @Override
    public void itemized(FileEntry e, int iflags) {
        if (quiet || (verbose == 0 && !progress)) {
            return;
        }
        boolean transfer = (iflags & ItemFlags.TRANSFER) != 0;
        boolean isNew = (iflags & ItemFlags.IS_NEW) != 0;
        if (transfer) {
            transferred++;
            out.println(e.path);
            lastProgressNanos = 0;
        } else if (isNew || (iflags & ItemFlags.LOCAL_CHANGE) != 0) {
            if (e.isDirectory()) {
                out.println(e.path.equals(".") ? "./" : e.path + "/");
            } else if (e.isSymlink()) {
                out.println(e.path + " -> " + new String(e.linkTarget, StandardCharsets.UTF_8));
            } else {
                out.println(e.path);
            }
        }
    }

    @Override
    public void progress(FileEntry e, long done, long total) {
        if (!progress || quiet) {
            return;
        }
        long now = System.nanoTime();
        boolean finished = done >= total;
        if (!finished && now - lastProgressNanos < 200_000_000L) {
            return;
        }
        lastProgressNanos = now;
        double secs = Math.max((now - startNanos) / 1e9, 1e-3);
        int pct = total == 0 ? 100 : (int) (done * 100 / total);
        String line = String.format(Locale.ROOT, "%15s %3d%% %10s    %s", group(done), pct, rate(done / secs),
                finished ? "0:00:00 (xfr#" + transferred + ")" : "");
        out.print(finished ? "\r" + line + "\n" : "\r" + line);
        out.flush();
    }

    void summary(TransferStats s, boolean withStats) {
        if (quiet) {
            return;
        }
        if (withStats) {
            out.println();
            out.println("Number of files: " + group(s.files) + " (reg: " + group(s.regularFiles) + ", dir: "
                    + group(s.directories) + (s.symlinks > 0 ? ", link: " + group(s.symlinks) : "") + ")");
            out.println("Number of created files: " + group(s.createdFiles));
            out.println("Number of deleted files: " + group(s.deletedFiles));
            out.println("Number of regular files transferred: " + group(s.transferredFiles));
            out.println("Total file size: " + group(s.totalSize) + " bytes");
            out.println("Total transferred file size: " + group(s.transferredSize) + " bytes");
            out.println("Literal data: " + group(s.literalBytes) + " bytes");
            out.println("Matched data: " + group(s.matchedBytes) + " bytes");
            out.println("File list size: " + group(s.fileListBytes));
            out.println("Total bytes sent: " + group(s.bytesSent));
            out.println("Total bytes received: " + group(s.bytesReceived));
        }
        if (withStats || verbose > 0) {
            double secs = Math.max(s.elapsedMillis / 1000.0, 1e-3);
            out.println();
            out.printf(Locale.ROOT, "sent %s bytes  received %s bytes  %s bytes/sec%n", group(s.bytesSent),
                    group(s.bytesReceived), String.format(Locale.ROOT, "%,.2f", (s.bytesSent + s.bytesReceived) / secs));
            long moved = s.bytesSent + s.bytesReceived;
            out.printf(Locale.ROOT, "total size is %s  speedup is %,.2f%s%n", group(s.totalSize),
                    moved == 0 ? 0.0 : (double) s.totalSize / moved, "");
        }
    }

    static String group(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String rate(double bytesPerSec) {
        String[] units = {"B/s", "kB/s", "MB/s", "GB/s"};
        int u = 0;
        while (bytesPerSec >= 1024 && u < units.length - 1) {
            bytesPerSec /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f%s", bytesPerSec, units[u]);
    }
}
