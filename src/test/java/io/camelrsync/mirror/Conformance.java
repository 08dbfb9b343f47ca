package io.camelrsync.mirror;

import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TreeSnapshot;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;
import org.apache.camel.ProducerTemplate;

/**
 * Randomized conformance of the live mirror: per seed, a fresh source tree, a fresh target (a stock rsync daemon,
 * or our own daemon embedded as the mirror's default target runs it) and a fresh mirror; {@link RandomOps} changes
 * the source while the mirror runs, then the source is left quiet and source and target are compared entry by
 * entry (names as bytes, type, size, content, permission bits, mtime, owner, symlink target, hard-link groups; a
 * file this process cannot read is left out of both sides, as rsync leaves it out). Used by MirrorConformanceTest
 * (a handful of seeds, CI) and by bench/conformance.sh through {@link #main} (many seeds, long sequences).
 *
 * <p>System properties: conformance.seeds (how many seeds), conformance.first-seed (seeds are first-seed,
 * first-seed+1, ...), conformance.seed (just this one), conformance.ops (operations per seed while the mirror runs,
 * after 30 before it starts), conformance.quiet-ms (quiet before comparing), conformance.settle-ms (how much longer
 * the target may take to become identical), conformance.wait-ms (how long an operation waits for one step to be
 * mirrored), conformance.kinds (stock,ours), conformance.skip (operations and name classes left out, see
 * {@link RandomOps#RandomOps}: to look past a known fault),
 * conformance.report-dir (a report per failing seed: differences, operations, the mirror's log).
 */
final class Conformance {
    /** The two kinds of target: the referee, and ours. */
    enum Kind {
        STOCK("stock rsync daemon"), OURS("our daemon");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    record Options(List<Long> seeds, int ops, long quietMillis, long settleMillis, long waitMillis, List<Kind> kinds,
                   Set<String> skip, Path reportDir) {
        static Options fromSystemProperties(int defaultSeeds, int defaultOps, long defaultQuietMillis,
                                            long defaultSettleMillis, String defaultSkip) {
            List<Long> seeds = new ArrayList<>();
            String only = System.getProperty("conformance.seed");
            if (only != null && !only.isBlank()) {
                Arrays.stream(only.split(",")).map(String::strip).map(Long::parseLong).forEach(seeds::add);
            } else {
                long first = Long.getLong("conformance.first-seed", 1);
                int n = Integer.getInteger("conformance.seeds", defaultSeeds);
                for (int i = 0; i < n; i++) {
                    seeds.add(first + i);
                }
            }
            List<Kind> kinds = Arrays.stream(System.getProperty("conformance.kinds", "stock,ours").split(","))
                    .map(s -> Kind.valueOf(s.strip().toUpperCase())).toList();
            return new Options(seeds, Integer.getInteger("conformance.ops", defaultOps),
                    Long.getLong("conformance.quiet-ms", defaultQuietMillis),
                    Long.getLong("conformance.settle-ms", defaultSettleMillis),
                    Long.getLong("conformance.wait-ms", 5_000), kinds,
                    Arrays.stream(System.getProperty("conformance.skip", defaultSkip).split(",")).map(String::strip)
                            .filter(x -> !x.isEmpty()).map(String::toLowerCase).collect(Collectors.toSet()),
                    Path.of(System.getProperty("conformance.report-dir", "target/conformance")));
        }

        /** The properties that replay one seed as this run did it. */
        String replay(Kind kind, long seed) {
            return "-Dconformance.kinds=" + kind.name().toLowerCase() + " -Dconformance.seed=" + seed
                    + " -Dconformance.ops=" + ops + " -Dconformance.quiet-ms=" + quietMillis
                    + " -Dconformance.settle-ms=" + settleMillis
                    + (skip.isEmpty() ? "" : " -Dconformance.skip=" + String.join(",", new TreeSet<>(skip)));
        }
    }

    record Result(Kind kind, long seed, List<String> differences, long settledMillis, Path report, long errorsLogged) {
        boolean identical() {
            return differences.isEmpty();
        }
    }

    private Conformance() {
    }

    /** Every seed of {@code o} against {@code kind}, each in its own directory below {@code work}; a line each. */
    static List<Result> runAll(Kind kind, Options o, Path work, PrintStream out) throws Exception {
        List<Result> results = new ArrayList<>();
        for (long seed : o.seeds()) {
            Path dir = Files.createDirectories(work.resolve(kind.name().toLowerCase() + "-" + seed));
            Result r = run(kind, seed, o, dir);
            results.add(r);
            RandomOps.deleteTree(dir); // the report keeps what a failure needs; hundreds of trees would not
            out.println("[conformance] " + kind.label + " seed " + seed + ": " + (r.identical()
                    ? "identical (" + r.settledMillis() + " ms after the last operation"
                    : "DIFFERENT, " + r.differences().size() + " differences, first: "
                            + RandomOps.abbreviated(r.differences().get(0)) + " (report " + r.report().toAbsolutePath())
                    + (r.errorsLogged() == 0 ? ")" : "; " + r.errorsLogged() + " errors logged)"));
            out.flush();
        }
        return results;
    }

    /** "our daemon: identical 49/50 (differing seeds: 7)". */
    static String summary(Kind kind, List<Result> results) {
        long identical = results.stream().filter(Result::identical).count();
        return kind.label + ": identical " + identical + "/" + results.size() + (identical == results.size() ? ""
                : " (differing seeds: " + results.stream().filter(r -> !r.identical())
                .map(r -> String.valueOf(r.seed())).collect(Collectors.joining(",")) + ")");
    }

    /** One seed against one kind of target, in {@code work}. */
    static Result run(Kind kind, long seed, Options o, Path work) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path outside = Files.createDirectories(work.resolve("outside"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        RandomOps ops = new RandomOps(seed, src, outside, dst, o.skip(), o.waitMillis());
        for (int i = 0; i < 30; i++) {
            ops.step(); // some of the tree exists before the mirror starts: the start-up sync carries it
        }
        List<String> differences = new ArrayList<>();
        long settled = -1;
        LogCapture log = LogCapture.start(ops.epochMillis());
        String daemonLog = "";
        try (Target target = Target.start(kind, work, src, dst)) {
            ops.mirrorStarted();
            long deadline = System.nanoTime() + (60_000L + o.ops() * 1_000L) * 1_000_000;
            for (int i = 0; i < o.ops(); i++) {
                ops.step();
                if (System.nanoTime() > deadline) {
                    differences.add("the operations took longer than " + (60 + o.ops()) + " s (a wait on the"
                            + " mirror kept timing out?); stopped after " + (i + 1));
                    break;
                }
            }
            if (differences.isEmpty()) {
                long last = System.nanoTime();
                Thread.sleep(o.quietMillis());
                long giveUp = last + (o.quietMillis() + o.settleMillis()) * 1_000_000;
                while (true) {
                    differences = compare(src, dst);
                    if (differences.isEmpty()) {
                        settled = (System.nanoTime() - last) / 1_000_000;
                        break;
                    }
                    if (System.nanoTime() > giveUp) {
                        break;
                    }
                    Thread.sleep(100);
                }
            }
            if (differences.isEmpty()) {
                differences.addAll(target.verifyFindings());
            }
            daemonLog = target.daemonLog();
        } finally {
            log.stop();
        }
        Path report = differences.isEmpty() ? null : report(kind, seed, o, differences, ops, log, daemonLog);
        if (report == null) {
            Files.deleteIfExists(reportPath(o, kind, seed)); // an earlier run's report of this seed is stale now
        }
        return new Result(kind, seed, differences, settled, report, log.errors());
    }

    /**
     * A target of the given kind serving {@code dst}, and the mirror of {@code src} into it, both running. Stock: an
     * rsync daemon of its own. Ours: the embedded default, its config as EmbeddedTarget writes it (use chroot = no,
     * munge symlinks = no, uid/gid root as root), its daemon route in the mirror's own context on a free port.
     */
    static final class Target implements AutoCloseable {
        private final RsyncDaemon stock;
        private final MirrorRun run;

        private Target(RsyncDaemon stock, MirrorRun run) {
            this.stock = stock;
            this.run = run;
        }

        static Target start(Kind kind, Path work, Path src, Path dst) throws Exception {
            Map<String, String> settings = new HashMap<>();
            settings.put("mirror.source", src.toString());
            RsyncDaemon stock = null;
            if (kind == Kind.STOCK) {
                stock = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst));
                settings.put("mirror.targets", stock.url("m"));
                settings.put("mirror.daemon.enabled", "false");
            } else {
                settings.put("mirror.daemon.enabled", "true");
                settings.put("mirror.daemon.port", String.valueOf(RsyncDaemon.freePort()));
                settings.put("mirror.daemon.config", work.resolve("rsyncd.conf").toString());
                settings.put("mirror.daemon.path", dst.toString());
                EmbeddedTarget.prepare(MirrorSettings.load(settings));
            }
            try {
                return new Target(stock, MirrorRun.start(settings));
            } catch (Exception | Error e) {
                if (stock != null) {
                    stock.close();
                }
                throw e;
            }
        }

        /**
         * A verify once the target is identical: what it would fix the comparison missed (the top directory's
         * own attributes aside). Empty when it finds the target up to date.
         */
        List<String> verifyFindings() throws Exception {
            try (io.camelrsync.mirror.LogCapture log = io.camelrsync.mirror.LogCapture.of(VerifyReport.class)) {
                Thread.sleep(2500); // every change older than the verify's "changed while it ran" window
                ProducerTemplate template = run.context.createProducerTemplate();
                try {
                    template.sendBody("direct:mirror-verify-default", null);
                } finally {
                    template.stop();
                }
                List<String> findings = new ArrayList<>();
                try {
                    String line = log.await(Level.INFO, "is up to date", 20_000);
                    if (line.contains("went with it") || line.contains("changed while it ran")) {
                        findings.add("the verify saw changes still in flight: " + line);
                    }
                } catch (AssertionError notUpToDate) {
                    findings.add(notUpToDate.getMessage());
                }
                log.lines(Level.WARNING).forEach(w -> findings.add("a verify had to fix: " + w));
                return findings;
            }
        }

        /** The stock daemon's log file ("" for ours: it logs through java.util.logging, into the capture). */
        String daemonLog() throws IOException {
            return stock == null ? "" : stock.log();
        }

        @Override
        public void close() throws InterruptedException {
            try {
                run.close();
            } finally {
                if (stock != null) {
                    stock.close();
                }
            }
        }
    }

    /** Source and target compared; a file the source cannot read is left out of both, as rsync leaves it out. */
    static List<String> compare(Path src, Path dst) {
        try {
            TreeSnapshot a = TreeSnapshot.of(src);
            TreeSnapshot b = TreeSnapshot.of(dst);
            Set<String> unreadable = a.unreadable();
            return TreeSnapshot.differences(a.without(unreadable), b.without(unreadable));
        } catch (IOException | RuntimeException e) {
            return List.of("cannot compare: " + e); // a walk racing a push: look again
        }
    }

    private static Path report(Kind kind, long seed, Options o, List<String> differences, RandomOps ops,
                               LogCapture log, String daemonLog) throws IOException {
        Files.createDirectories(o.reportDir());
        Path report = reportPath(o, kind, seed);
        StringBuilder sb = new StringBuilder();
        sb.append(kind.label).append(", seed ").append(seed).append(": the target differs from the source\n")
                .append("replay: mvn -B -ntp -q test -Dtest=MirrorConformanceTest ").append(o.replay(kind, seed))
                .append("\n\n== differences (").append(differences.size()).append("; long names shortened, in full"
                        + " at the end)\n");
        differences.forEach(d -> sb.append(RandomOps.abbreviated(d)).append('\n'));
        sb.append("\n== operations drawn: ").append(ops.counts()).append('\n');
        sb.append("\n== timeline: ms since the first operation; operations (>>) and the mirror's log (and the embedded"
                + " daemon's)\n");
        List<String[]> timeline = new ArrayList<>();
        ops.log().forEach(l -> timeline.add(timed(l, ">> ")));
        log.lines().forEach(l -> timeline.add(timed(l, "   ")));
        timeline.sort(Comparator.comparingLong(t -> Long.parseLong(t[0]))); // stable: ties keep their order
        timeline.forEach(t -> sb.append(String.format("%6s ", t[0])).append(t[1]).append('\n'));
        if (!daemonLog.isEmpty()) {
            sb.append("\n== the stock daemon's log\n").append(daemonLog);
        }
        sb.append("\n== differences in full\n");
        differences.forEach(d -> sb.append(d).append('\n'));
        Files.write(report, sb.toString().getBytes(StandardCharsets.UTF_8)); // a name's escaped bytes as '?'
        return report;
    }

    /** A log line split into its milliseconds and the rest, marked, long names shortened. */
    private static String[] timed(String line, String mark) {
        String l = line.stripLeading();
        int sp = l.indexOf(' ');
        String rest = l.substring(sp + 1).replace("\n", "\\n");
        return new String[] {l.substring(0, sp), mark + RandomOps.abbreviated(rest)};
    }

    private static Path reportPath(Options o, Kind kind, long seed) {
        return o.reportDir().resolve("conformance-" + kind.name().toLowerCase() + "-" + seed + ".txt");
    }

    /** The log records of one run (java.util.logging, which the mirror logs through), kept for its report. */
    static final class LogCapture extends Handler {
        private static final int MAX_LINES = 200_000;
        private static final SimpleFormatter FORMAT = new SimpleFormatter();
        private final List<String> lines = new ArrayList<>();
        private final long start;
        private long errors;

        private LogCapture(long start) {
            this.start = start;
        }

        /** Captures from now on; lines carry milliseconds since {@code epochMillis}, as the operations' log. */
        static LogCapture start(long epochMillis) {
            LogCapture c = new LogCapture(epochMillis);
            Logger.getLogger("").addHandler(c);
            return c;
        }

        void stop() {
            Logger.getLogger("").removeHandler(this);
        }

        /** Records at SEVERE (ERROR through slf4j): a run can end identical with errors on the way. */
        synchronized long errors() {
            return errors;
        }

        synchronized List<String> lines() {
            return new ArrayList<>(lines);
        }

        @Override
        public synchronized void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors++;
            }
            if (lines.size() < MAX_LINES && r.getLevel().intValue() >= Level.INFO.intValue()) {
                String msg = FORMAT.formatMessage(r);
                lines.add(String.format("%6d %s [%s] %s%s", r.getMillis() - start, r.getLevel(),
                        r.getLoggerName() == null ? "" : r.getLoggerName().replaceAll(".*\\.", ""),
                        msg == null ? "" : msg.replace("\n", "\\n"), r.getThrown() == null ? "" : " " + r.getThrown()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    /**
     * bench/conformance.sh: the seeds of the conformance.* properties against each kind of target (the kinds
     * alternating seed by seed, so machine noise falls on both), a line per run and "identical N/M" per kind; with
     * conformance.results a TSV row per run. Exit status 1 when any run differs. Each seed keeps its own deadlines.
     */
    public static void main(String[] args) throws Exception {
        for (Handler h : Logger.getLogger("").getHandlers()) {
            h.setLevel(Level.OFF); // the mirror logs each path it sends: kept for the reports, not printed
        }
        Options o = Options.fromSystemProperties(50, 300, 2000, 15_000, "");
        // stopped (Ctrl-C, the script's timeout): the stock daemons this JVM started must not outlive it
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.current().descendants()
                .forEach(ProcessHandle::destroy)));
        String resultsFile = System.getProperty("conformance.results");
        Path tsv = resultsFile == null ? null : Path.of(resultsFile);
        if (tsv != null) {
            Files.writeString(tsv, String.join("\t", "kind", "seed", "ops", "quiet_ms", "identical", "settled_ms",
                    "differences", "errors_logged", "report") + "\n");
        }
        Path work = Files.createTempDirectory("camel-rsync-conformance");
        Map<Kind, List<Result>> results = new java.util.EnumMap<>(Kind.class);
        System.out.println("[conformance] seeds " + o.seeds().get(0) + ".." + o.seeds().get(o.seeds().size() - 1)
                + ", " + o.ops() + " operations each, " + o.quietMillis() + " ms quiet"
                + (o.skip().isEmpty() ? "" : ", leaving out " + new TreeSet<>(o.skip())));
        try {
            for (long seed : o.seeds()) {
                for (Kind kind : o.kinds()) {
                    Options one = new Options(List.of(seed), o.ops(), o.quietMillis(), o.settleMillis(),
                            o.waitMillis(), List.of(kind), o.skip(), o.reportDir());
                    Result r = runAll(kind, one, work, System.out).get(0);
                    results.computeIfAbsent(kind, k -> new ArrayList<>()).add(r);
                    if (tsv != null) {
                        Files.writeString(tsv, String.join("\t", kind.name().toLowerCase(), String.valueOf(seed),
                                String.valueOf(o.ops()), String.valueOf(o.quietMillis()), String.valueOf(r.identical()),
                                String.valueOf(r.settledMillis()), String.valueOf(r.differences().size()),
                                String.valueOf(r.errorsLogged()), r.report() == null ? "" : r.report().toAbsolutePath()
                                        .toString()) + "\n", java.nio.file.StandardOpenOption.APPEND);
                    }
                }
            }
        } finally {
            RandomOps.deleteTree(work);
        }
        boolean allIdentical = true;
        for (Map.Entry<Kind, List<Result>> e : results.entrySet()) {
            allIdentical &= e.getValue().stream().allMatch(Result::identical);
            System.out.println("[conformance] " + summary(e.getKey(), e.getValue()));
        }
        System.exit(allIdentical ? 0 : 1);
    }
}
