package io.camelrsync.cli;

import io.camelrsync.client.PushOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Parses rsync's own command-line options for a push, so an existing rsync command line works unchanged. */
final class PushArgs {
    final PushOptions options = PushOptions.none();
    final List<String> operands = new ArrayList<>();
    boolean progress;
    /** How many times -z was given. */
    private int zCount;
    boolean stats;
    boolean quiet;
    int port = 873;

    /** --port was given: it wins over the default port of TLS. */
    private boolean portGiven;

    static PushArgs parse(List<String> argv) throws IOException {
        PushArgs a = new PushArgs();
        a.parseInto(argv, null);
        return a;
    }

    /**
     * Parses argv; a long option the callback accepts (returns the number of argv slots it consumed, 0 if not
     * its own) is handed to it first, so commands can extend rsync's option set.
     */
    void parseInto(List<String> argv, ExtraOption extra) throws IOException {
        parseArgs(argv, extra);
        for (int i = 0; i < operands.size(); i++) {
            if (operands.get(i).startsWith("rsyncs://")) { // TLS, as rsync-ssl's rsync:// daemons
                operands.set(i, "rsync://" + operands.get(i).substring("rsyncs://".length()));
                options.tls = true;
            }
        }
        if (options.tls && !portGiven) {
            port = 874;
        }
        try {
            options.checkBackupOptions();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private void parseArgs(List<String> argv, ExtraOption extra) throws IOException {
        for (int i = 0; i < argv.size(); i++) {
            String arg = argv.get(i);
            if (arg.equals("--")) {
                operands.addAll(argv.subList(i + 1, argv.size()));
                return;
            }
            if (arg.startsWith("--")) {
                if (extra != null) {
                    int used = extra.accept(argv, i);
                    if (used > 0) {
                        i += used - 1;
                        continue;
                    }
                }
                i += longOption(argv, i);
            } else if (arg.startsWith("-") && arg.length() > 1) {
                shortOptions(arg.substring(1));
            } else {
                operands.add(arg);
            }
        }
    }

    @FunctionalInterface
    interface ExtraOption {
        int accept(List<String> argv, int at) throws IOException;
    }

    private void shortOptions(String letters) throws UsageException {
        for (char c : letters.toCharArray()) {
            switch (c) {
                case 'a' -> {
                    PushOptions o = options;
                    o.recursive = o.links = o.perms = o.times = o.group = o.owner = o.devices = o.specials = true;
                }
                case 'v' -> options.verbose++;
                case 'q' -> quiet = true;
                case 'r' -> options.recursive = true;
                case 'l' -> options.links = true;
                case 'p' -> options.perms = true;
                case 't' -> options.times = true;
                case 'g' -> options.group = true;
                case 'o' -> options.owner = true;
                case 'D' -> options.devices = options.specials = true;
                case 'H' -> options.hardLinks = true;
                case 'n' -> options.dryRun = true;
                case 'b' -> options.backup = true;
                case 'P' -> progress = true;
                case 'z' -> compressFlag();
                case 'c' -> options.checksum = true;
                case 'h' -> {
                    // --human-readable: our numbers already use rsync's default grouping
                }
                default -> throw new UsageException("unsupported option -" + c
                        + " (camel-rsync push accepts -a -v -q -r -l -p -t -g -o -D -H -n -b -P -z -c -h)");
            }
        }
    }

    /** Handles one long option at argv[i]; returns how many extra slots it consumed. */
    private int longOption(List<String> argv, int i) throws IOException {
        String arg = argv.get(i);
        String name = arg;
        String value = null;
        int eq = arg.indexOf('=');
        if (eq > 0) {
            name = arg.substring(0, eq);
            value = arg.substring(eq + 1);
        }
        int used = 0;
        if (value == null && takesValue(name)) {
            if (i + 1 >= argv.size()) {
                throw new UsageException("option " + name + " needs a value");
            }
            value = argv.get(i + 1);
            used = 1;
        }
        switch (name) {
            case "--archive" -> shortOptions("a");
            case "--verbose" -> options.verbose++;
            case "--quiet" -> quiet = true;
            case "--recursive" -> options.recursive = true;
            case "--links" -> options.links = true;
            case "--perms" -> options.perms = true;
            case "--times" -> options.times = true;
            case "--group" -> options.group = true;
            case "--owner" -> options.owner = true;
            case "--devices" -> options.devices = true;
            case "--specials" -> options.specials = true;
            case "--hard-links" -> options.hardLinks = true;
            case "--dry-run" -> options.dryRun = true;
            case "--delete", "--delete-during", "--del" -> options.delete = true;
            case "--numeric-ids" -> options.numericIds = true;
            case "--backup" -> options.backup = true;
            case "--backup-dir" -> options.backupDir = value;
            case "--suffix" -> options.suffix = value;
            case "--progress" -> progress = true;
            case "--stats" -> stats = true;
            case "--human-readable" -> {
                // see -h
            }
            case "--port" -> {
                port = intValue(name, value, 1, 65535);
                portGiven = true;
            }
            case "--ssl" -> options.tls = true;
            case "--ssl-ca-cert" -> options.sslCaCert = Path.of(value);
            case "--timeout" -> options.timeoutSeconds = intValue(name, value, 0, 86400 * 365);
            case "--bwlimit" -> options.bwlimit = bwlimit(value);
            case "--no-bwlimit" -> options.bwlimit = 0;
            case "--contimeout" -> options.connectTimeoutSeconds = intValue(name, value, 1, 86400);
            case "--protocol" -> options.protocol = intValue(name, value, 30, 32);
            case "--checksum-choice", "--cc" -> options.checksumChoice = checksumChoice(value);
            case "--checksum" -> options.checksum = true;
            case "--no-checksum" -> options.checksum = false;
            case "--compress" -> compressFlag();
            case "--old-compress" -> compressChoice("zlib");
            case "--new-compress" -> compressChoice("zlibx");
            case "--compress-choice", "--zc" -> compressChoice(compressName(value));
            case "--compress-level", "--zl" -> {
                options.compressLevel = intValue(name, value, -131072, 22);
                options.compress = true; // options.c: a level alone turns compression on
            }
            case "--no-compress" -> {
                options.compress = false;
                options.compressChoice = null;
            }
            case "--password-file" -> options.passwordFile = Path.of(value);
            case "--exclude" -> options.filters = options.filters.withExclude(value);
            case "--include" -> options.filters = options.filters.withInclude(value);
            case "--exclude-from" -> options.filters = options.filters.withExcludeFrom(Path.of(value));
            case "--include-from" -> options.filters = options.filters.withIncludeFrom(Path.of(value));
            case "--filter" -> options.filters = options.filters.withRule(value);
            default -> throw new UsageException("unsupported option " + name + " (see camel-rsync push --help)");
        }
        return used;
    }

    private static boolean takesValue(String name) {
        return switch (name) {
            case "--port", "--timeout", "--contimeout", "--protocol", "--checksum-choice", "--cc", "--password-file",
                    "--compress-choice", "--zc", "--compress-level", "--zl",
                    "--exclude", "--include", "--exclude-from", "--include-from", "--filter", "--backup-dir",
                    "--suffix", "--bwlimit", "--ssl-ca-cert" -> true;
            default -> false;
        };
    }

    /** -z; twice, zlibx, as options.c makes of -zz when no compressor was chosen by name. */
    private void compressFlag() {
        options.compress = true;
        if (++zCount > 1 && options.compressChoice == null) {
            options.compressChoice = "zlibx";
        }
    }

    /** --compress-choice: a compressor by name ("none": no compression; null for "auto": negotiated). */
    private void compressChoice(String choice) {
        options.compress = !"none".equals(choice);
        options.compressChoice = options.compress ? choice : null;
    }

    private static String compressName(String value) throws UsageException {
        String v = value.strip().toLowerCase(java.util.Locale.ROOT);
        if (!v.equals("auto") && io.camelrsync.protocol.Compression.byName(v).isEmpty()) {
            throw new UsageException("unknown compress name: " + value + " (choose from "
                    + io.camelrsync.protocol.Compression.offeredList() + ", none, auto)");
        }
        return v.equals("auto") ? null : v;
    }

    private static String checksumChoice(String value) throws UsageException {
        try {
            io.camelrsync.checksum.ChecksumAlgorithm.choices(value);
            return value;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static final java.util.regex.Pattern SIZE = java.util.regex.Pattern.compile(
            "(\\d+(?:\\.\\d*)?|\\.\\d+)([bkmgtp]?)(i?b?)", java.util.regex.Pattern.CASE_INSENSITIVE);

    /**
     * options.c parse_size_arg(bwlimit, 'K'): a rate in KiB/s by default, or with a unit: b, K, M, G (1024s;
     * "KB", "MB" are 1000s); at least 512 bytes a second; 0 means none. Returns KiB/s, rounded as rsync does.
     */
    static int bwlimit(String value) throws UsageException {
        java.util.regex.Matcher m = SIZE.matcher(value.trim());
        if (!m.matches()) {
            throw new UsageException("--bwlimit value is invalid: " + value + " (a rate in KiB/s, or with a unit:"
                    + " 512b, 100K, 1.5M)");
        }
        String unit = m.group(2).isEmpty() ? "k" : m.group(2).toLowerCase(java.util.Locale.ROOT);
        double mult = m.group(3).equalsIgnoreCase("b") ? 1000 : 1024;
        double bytes = Double.parseDouble(m.group(1)) * switch (unit) {
            case "b" -> 1;
            case "k" -> mult;
            case "m" -> mult * mult;
            case "g" -> mult * mult * mult;
            default -> mult * mult * mult * mult;
        };
        if (bytes == 0) {
            return 0;
        }
        if (bytes < 512) {
            throw new UsageException("--bwlimit value is too small: " + value + " (at least 512 bytes a second)");
        }
        return (int) Math.min(Integer.MAX_VALUE, ((long) bytes + 512) / 1024);
    }

    static int intValue(String name, String value, int min, int max) throws UsageException {
        try {
            int v = Integer.parseInt(value.trim());
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException("invalid value for " + name + ": " + value + " (expected " + min + ".." + max
                    + ")");
        }
    }
}
