package io.camelrsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemon.DaemonServer;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.testing.Cli;
import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TreeSnapshot;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * -z with each compressor at protocols 30, 31 and 32, all four ways a stock rsync meets ours: our push into a
 * stock daemon, a stock push into our daemon, our pull from a stock daemon, a stock pull from our daemon. Each
 * way sends a tree, then a delta of it (matched blocks between compressed literal data, which zlib's window
 * also takes in); every destination ends identical to the source, and the wire carries less than the data.
 */
class CompressionInteropTest {
    private static final Pattern STAT = Pattern.compile("(Literal data|Total bytes sent|Total bytes received): "
            + "([\\d,]+)");

    @TempDir
    Path work;

    private Path source;

    private void tree() throws Exception {
        source = Files.createDirectories(work.resolve("source/sub"));
        source = source.getParent();
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 1_500_000; i++) {
            text.append("line ").append(i).append(" of a log that compresses well\n");
        }
        Files.writeString(source.resolve("text.log"), text);
        byte[] random = new byte[700_000];
        new Random(3).nextBytes(random);
        Files.write(source.resolve("sub/random.bin"), random);
        for (int i = 0; i < 20; i++) {
            Files.writeString(source.resolve("sub/small" + i), "small file " + i + "\n".repeat(i));
        }
        Files.createSymbolicLink(source.resolve("link"), Path.of("text.log"));
    }

    /** A few edits inside both big files and a tail on the log: most blocks stay, so most data is matched. */
    private void edit() throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(source.resolve("sub/random.bin").toFile(), "rw")) {
            for (long at : new long[] {1000, 300_000, 650_000}) {
                f.seek(at);
                f.write("an edit".getBytes(StandardCharsets.US_ASCII));
            }
        }
        try (RandomAccessFile f = new RandomAccessFile(source.resolve("text.log").toFile(), "rw")) {
            f.seek(700_000);
            f.write("EDITED".getBytes(StandardCharsets.US_ASCII));
            f.seek(f.length());
            f.write("a new last line\n".getBytes(StandardCharsets.US_ASCII));
        }
        for (String p : List.of("sub/random.bin", "text.log")) {
            Files.setLastModifiedTime(source.resolve(p), FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        }
    }

    @ParameterizedTest(name = "{0} at protocol {1}")
    @CsvSource({"zstd,30", "zstd,31", "zstd,32", "lz4,30", "lz4,31", "lz4,32", "zlibx,30", "zlibx,31", "zlibx,32",
            "zlib,30", "zlib,31", "zlib,32"})
    @Timeout(240)
    void everyWayWithEveryCompressor(String compressor, int protocol) throws Exception {
        tree();
        Path stockIn = Files.createDirectories(work.resolve("stock-in"));
        Path ourIn = Files.createDirectories(work.resolve("our-in"));
        Path ourPull = work.resolve("our-pull");
        Path stockPull = work.resolve("stock-pull");
        String common = "uid = root\ngid = root\nuse chroot = no\nmunge symlinks = no\n";
        String modules = "[in]\npath = %s\nread only = no\n" + common + "[src]\npath = " + source
                + "\nread only = yes\n" + common;
        Path conf = work.resolve("ours.conf");
        Files.writeString(conf, modules.formatted(ourIn));
        try (RsyncDaemon stock = RsyncDaemon.start(work.resolve("stockd"), modules.formatted(stockIn));
             DaemonServer ours = new DaemonServer(RsyncdConf.read(conf), line -> { }, s -> { })) {
            ours.start("127.0.0.1", 0);
            String ourUrl = "rsync://127.0.0.1:" + ours.port() + "/";
            List<String> z = List.of("-a", "-z", "--zc=" + compressor, "--protocol=" + protocol, "--stats");
            for (int round = 0; round < 2; round++) {
                if (round == 1) {
                    edit();
                }
                String what = compressor + " at " + protocol + (round == 0 ? ", the tree" : ", a delta");
                long total = 1_500_000 + (round == 0 ? 700_000 : 0);
                check(what + ", our push", ours(z, "push", source + "/", stock.url("in") + "/"), "Total bytes sent",
                        round, total);
                check(what + ", stock push", stock(z, source + "/", ourUrl + "in/"), "Total bytes sent", round, total);
                check(what + ", our pull", ours(z, "pull", stock.url("src") + "/", ourPull.toString()),
                        "Total bytes received", round, total);
                check(what + ", stock pull", stock(z, ourUrl + "src/", stockPull + "/"), "Total bytes received",
                        round, total);
                for (Path dest : List.of(stockIn, ourIn, ourPull, stockPull)) {
                    TreeSnapshot.assertSameTree(source, dest);
                }
            }
        }
    }

    /** A stock client asking for -z without a choice negotiates zstd with our daemon, rsync 3.2's first choice. */
    @Test
    @Timeout(60)
    void aStockClientNegotiatesZstdWithOurDaemon() throws Exception {
        tree();
        Path conf = work.resolve("ours.conf");
        Files.writeString(conf, "[src]\npath = " + source + "\nread only = yes\nuid = root\ngid = root\n");
        try (DaemonServer ours = new DaemonServer(RsyncdConf.read(conf), line -> { }, s -> { })) {
            ours.start("127.0.0.1", 0);
            String out = stock(List.of("-a", "-z", "--debug=nstr"), "rsync://127.0.0.1:" + ours.port() + "/src/",
                    work.resolve("pulled") + "/");
            assertTrue(out.contains("negotiated compress: zstd"), out);
            TreeSnapshot.assertSameTree(source, work.resolve("pulled"));
        }
    }

    /** Our client, run as a user runs it. */
    private static String ours(List<String> options, String command, String from, String to) {
        List<String> argv = new ArrayList<>(List.of(command));
        argv.addAll(options);
        argv.add(from);
        argv.add(to);
        Cli r = Cli.run(argv.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.toString());
        return r.out();
    }

    private String stock(List<String> options, String from, String to) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("rsync"));
        cmd.addAll(options);
        cmd.add(from);
        cmd.add(to);
        Path log = Files.createTempFile(work, "rsync", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("rsync did not finish: " + cmd + "\n" + Files.readString(log));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), cmd + "\n" + out);
        return out;
    }

    /**
     * The tree's data crossed compressed (its log compresses tenfold; its random part does not); a delta's
     * literal data is the edits, not the files.
     */
    private static void check(String what, String stats, String wireLabel, int round, long dataBytes) {
        long wire = stat(stats, wireLabel);
        long literal = stat(stats, "Literal data");
        if (round == 0) {
            assertTrue(wire < dataBytes * 6 / 10, what + ": " + wire + " bytes on the wire for " + dataBytes
                    + " bytes of data\n" + stats);
        } else {
            assertTrue(literal < 120_000, what + ": " + literal + " literal bytes in a delta\n" + stats);
            assertTrue(wire < 100_000, what + ": " + wire + " bytes on the wire for a delta\n" + stats);
        }
    }

    private static long stat(String stats, String label) {
        Matcher m = STAT.matcher(stats);
        while (m.find()) {
            if (m.group(1).equals(label)) {
                return Long.parseLong(m.group(2).replace(",", ""));
            }
        }
        throw new AssertionError("no '" + label + "' in:\n" + stats);
    }
}
