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
    boolean stats;
    boolean quiet;
    int port = 873;

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
                case 'h' -> {
                    // --human-readable: our numbers already use rsync's default grouping
                }
                default -> throw new UsageException("unsupported option -" + c
                        + " (camel-rsync push accepts -a -v -q -r -l -p -t -g -o -D -H -n -b -P -h)");
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
            case "--port" -> port = intValue(name, value, 1, 65535);
            case "--timeout" -> options.timeoutSeconds = intValue(name, value, 0, 86400 * 365);
            case "--contimeout" -> options.connectTimeoutSeconds = intValue(name, value, 1, 86400);
            case "--protocol" -> options.protocol = intValue(name, value, 30, 32);
            case "--checksum-choice", "--cc" -> options.checksumChoice = checksumChoice(value);
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
                    "--exclude", "--include", "--exclude-from", "--include-from", "--filter", "--backup-dir",
                    "--suffix" -> true;
            default -> false;
        };
    }

    private static String checksumChoice(String value) throws UsageException {
        try {
            io.camelrsync.checksum.ChecksumAlgorithm.choices(value);
            return value;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
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
