package io.camelrsync.cli;

import io.camelrsync.client.PushOptions;
import io.camelrsync.client.RsyncTarget;
import io.camelrsync.mirror.MirrorMain;
import io.camelrsync.mirror.MirrorSettings;
import io.camelrsync.mirror.VerifyReport;
import io.camelrsync.protocol.ExitCode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code camel-rsync mirror [push options] [--delay SECONDS] [--verify-interval TIME] SRC DEST [DEST...]}: the
 * live mirror of SRC to each DEST, as the inotifywait loop did it, run by routes/mirror.camel.yaml. The options
 * become the routes' mirror.* properties. With no operands it runs the embedded default of
 * application.properties (./data/source mirrored to our own daemon serving ./data/mirror).
 */
final class MirrorCommand {
    private MirrorCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        MirrorMain.run(overrides(argv), out);
        return ExitCode.OK;
    }

    /** The mirror.* settings this command line stands for (none: the embedded default). */
    static Map<String, String> overrides(List<String> argv) throws Exception {
        List<String> excludes = new ArrayList<>();
        List<String> excludeFrom = new ArrayList<>();
        double[] delay = {-1};
        String[] verifyInterval = {null};
        String[] config = {null};
        PushArgs a = new PushArgs();
        a.parseInto(argv, (args, i) -> {
            String arg = args.get(i);
            int eq = arg.indexOf('=');
            String name = eq > 0 ? arg.substring(0, eq) : arg;
            boolean inline = eq > 0;
            String value = inline ? arg.substring(eq + 1) : i + 1 < args.size() ? args.get(i + 1) : null;
            switch (name) {
                case "--delay" -> {
                    delay[0] = seconds(value);
                    return inline ? 1 : 2;
                }
                case "--verify-interval" -> {
                    verifyInterval[0] = String.valueOf(intervalMillis(value));
                    return inline ? 1 : 2;
                }
                case "--config" -> {
                    if (value == null || !java.nio.file.Files.isReadable(Path.of(value))) {
                        throw new UsageException("--config needs a readable properties file (the keys of"
                                + " application.properties), got " + value);
                    }
                    config[0] = Path.of(value).toAbsolutePath().toString();
                    return inline ? 1 : 2;
                }
                case "--exclude" -> excludes.add(value);
                case "--exclude-from" -> excludeFrom.add(value);
                case "--include", "--include-from", "--filter" -> throw new UsageException(name + " is not"
                        + " supported by camel-rsync mirror yet: give the mirror --exclude and --exclude-from rules");
                default -> {
                    return 0;
                }
            }
            return 0; // PushArgs reads the rule too, checking it
        });
        Map<String, String> props = new LinkedHashMap<>();
        if (config[0] != null) {
            props.put(MirrorSettings.CONFIG, config[0]);
        }
        if (a.operands.isEmpty()) {
            if (!argv.isEmpty() && config[0] == null) {
                throw new UsageException("mirror needs SRC and at least one DEST when options are given\n"
                        + Main.usage());
            }
        } else {
            if (a.operands.size() < 2) {
                throw new UsageException("mirror needs SRC and at least one DEST (got " + a.operands.size()
                        + " operand)\n" + Main.usage());
            }
            if (excludeFrom.size() > 1) {
                throw new UsageException("camel-rsync mirror takes one --exclude-from file");
            }
            PushOptions o = a.options;
            if (!o.recursive) {
                throw new UsageException("a mirror copies whole trees: give -a (or -r)");
            }
            String src = a.operands.get(0);
            boolean contents = src.endsWith("/");
            Path source = Path.of(src).toAbsolutePath().normalize();
            String subdir = contents || source.getFileName() == null ? "" : "/" + source.getFileName();
            List<String> targets = new ArrayList<>();
            for (String dest : a.operands.subList(1, a.operands.size())) {
                RsyncTarget t = RsyncTarget.parse(dest, a.port);
                String path = (t.path().isEmpty() ? "" : "/" + t.path()) + subdir;
                targets.add("rsync://" + t.host() + ":" + t.port() + "/" + t.module() + path
                        + (t.user() == null ? "" : "?username=RAW(" + t.user() + ")"));
            }
            props.put("mirror.source", source.toString());
            props.put("mirror.targets", String.join(",", targets));
            props.put("mirror.push-options", pushOptions(o));
            props.put("mirror.hard-links", String.valueOf(o.hardLinks));
            props.put("mirror.excludes", String.join(",", excludes));
            props.put("mirror.exclude-from", excludeFrom.isEmpty() ? "" : excludeFrom.get(0));
            props.put("mirror.daemon.enabled", "false");
        }
        if (verifyInterval[0] != null) {
            props.put("mirror.verify-interval", verifyInterval[0]);
        }
        if (delay[0] >= 0) {
            long ms = Math.round(delay[0] * 1000);
            props.put("mirror.quiet-ms", String.valueOf(Math.max(1, ms)));
            props.put("mirror.max-age-ms", String.valueOf(Math.max(1000, ms)));
        }
        return props;
    }

    /** The rsync endpoint options that stand for these push options (excludes travel as mirror.excludes). */
    static String pushOptions(PushOptions o) {
        List<String> q = new ArrayList<>();
        boolean archive = o.links && o.perms && o.times && o.group && o.owner && o.devices && o.specials;
        q.add("archive=" + archive);
        q.add("delete=" + o.delete);
        q.add("hardLinks=" + o.hardLinks);
        if (o.passwordFile != null) {
            q.add("passwordFile=RAW(" + o.passwordFile.toAbsolutePath() + ")");
        }
        if (o.numericIds) {
            q.add("numericIds=true");
        }
        if (o.dryRun) {
            q.add("dryRun=true");
        }
        if (o.backup) {
            q.add("backup=true");
        }
        if (o.backupDir != null) {
            q.add("backupDir=RAW(" + o.backupDir + ")");
        }
        if (o.suffix != null) {
            q.add("suffix=RAW(" + o.suffix + ")");
        }
        if (o.tls) {
            q.add("ssl=true");
        }
        if (o.sslCaCert != null) {
            q.add("sslCaCert=RAW(" + o.sslCaCert.toAbsolutePath() + ")");
        }
        if (o.bwlimit > 0) {
            q.add("bwlimit=" + o.bwlimit);
        }
        if (o.timeoutSeconds > 0) {
            q.add("timeout=" + o.timeoutSeconds);
        }
        q.add("connectTimeout=" + o.connectTimeoutSeconds);
        q.add("protocol=" + o.protocol);
        if (o.checksumChoice != null) {
            q.add("checksum=" + o.checksumChoice);
        }
        return String.join("&", q);
    }

    /** --verify-interval: seconds as rsync's options count time, or a duration with a unit (90s, 30m, 1h, 1d). */
    static long intervalMillis(String value) throws UsageException {
        if (value != null && value.strip().matches("\\d{1,9}")) {
            return Long.parseLong(value.strip()) * 1000;
        }
        try {
            return VerifyReport.intervalMillis(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--verify-interval needs seconds or a duration such as 30m, 1h or 1d (0: never),"
                    + " got " + value);
        }
    }

    private static double seconds(String value) throws UsageException {
        try {
            double d = Double.parseDouble(value);
            if (d < 0 || d > 3600) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException | NullPointerException e) {
            throw new UsageException("--delay needs seconds between 0 and 3600, got " + value);
        }
    }
}
