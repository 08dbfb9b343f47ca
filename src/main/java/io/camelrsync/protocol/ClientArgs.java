package io.camelrsync.protocol;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The arguments a client sends a daemon (options.c server_options): "--server", the letter bundle with the
 * capability string after 'e', long options, ".", then the module paths. Only what the receiving side needs
 * is kept. An option we cannot honour does not throw here: like rsync, the daemon first finishes the protocol
 * setup and then reports {@link #refusal()} over the multiplexed stream, where the client can show it.
 *
 * @param used           the long names of every option the client used (letters mapped), for "refuse options"
 * @param compressChoice "zstd", "lz4", "zlibx", "zlib" or "none" as the client forced it; null when -z was
 *                       negotiated (or, before protocol 32's negotiation, meant zlib) or off
 * @param compressLevel  --compress-level, or {@link Compression#LEVEL_NOT_SPECIFIED}
 * @param checksumChoice the transfer checksum the client forced with --checksum-choice; null when negotiated
 * @param backup         -b, or --backup-dir, which implies it
 * @param backupDir      --backup-dir as the client sent it (unescaped), or null; see {@code receiver.BackupPlan}
 * @param suffix         --suffix as the client sent it, or null for rsync's default
 * @param altDest        "link-dest", "copy-dest" or "compare-dest" (one kind only, as options.c allows), or null
 * @param altDirs        that option's dirs as the client sent them (unescaped), in order; see {@code receiver.AltDests}
 * @param fuzzy          how often -y was given: 1 looks in the destination's directory, 2 in the alt dirs too
 * @param refusal        the message for an option this daemon cannot honour, or null
 */
public record ClientArgs(boolean sender, boolean recursive, boolean links, boolean hardLinks, boolean perms,
                         boolean times, boolean owner, boolean group, boolean devices, boolean specials,
                         boolean checksum, boolean dryRun, boolean compress, boolean delete, boolean numericIds,
                         boolean ignoreTimes, boolean sizeOnly, boolean update, boolean existing,
                         boolean ignoreExisting, boolean fsync, boolean backup, String backupDir,
                         String suffix, String altDest, List<String> altDirs, int fuzzy, int timeout, int bwlimit,
                         String compressChoice, int compressLevel,
                         String checksumChoice, String capabilities, Set<String> used, List<String> paths,
                         int verbose, String refusal) {

    /** rsync's short options and their long names (options.c long_options), as clients bundle them. */
    public static final Map<Character, String> LETTERS = Map.ofEntries(
            Map.entry('r', "recursive"), Map.entry('l', "links"), Map.entry('H', "hard-links"),
            Map.entry('p', "perms"), Map.entry('t', "times"), Map.entry('o', "owner"), Map.entry('g', "group"),
            Map.entry('D', "devices"), Map.entry('c', "checksum"), Map.entry('n', "dry-run"),
            Map.entry('z', "compress"), Map.entry('v', "verbose"), Map.entry('q', "quiet"),
            Map.entry('i', "itemize-changes"), Map.entry('u', "update"), Map.entry('d', "dirs"),
            Map.entry('x', "one-file-system"), Map.entry('L', "copy-links"), Map.entry('k', "copy-dirlinks"),
            Map.entry('K', "keep-dirlinks"), Map.entry('S', "sparse"), Map.entry('I', "ignore-times"),
            Map.entry('O', "omit-dir-times"), Map.entry('J', "omit-link-times"), Map.entry('m', "prune-empty-dirs"),
            Map.entry('y', "fuzzy"), Map.entry('W', "whole-file"), Map.entry('U', "atimes"),
            Map.entry('N', "crtimes"), Map.entry('E', "executability"), Map.entry('R', "relative"),
            Map.entry('b', "backup"), Map.entry('s', "secluded-args"), Map.entry('A', "acls"),
            Map.entry('X', "xattrs"), Map.entry('B', "block-size"), Map.entry('T', "temp-dir"));

    /** Letters whose effect this daemon does not implement; refused rather than silently ignored. */
    private static final String UNSUPPORTED_LETTERS = "RsAXBTUNE";

    /** Long options whose value a client sends as the next argument (options.c server_options). */
    private static final Set<String> SPLIT_VALUE = Set.of("--backup-dir", "--suffix", "--link-dest", "--copy-dest",
            "--compare-dest");

    /** rsync.h MAX_BASIS_DIRS: how many --link-dest (or kin) dirs options.c takes. */
    public static final int MAX_BASIS_DIRS = 20;

    public boolean capability(char c) {
        return capabilities.indexOf(c) >= 0;
    }

    public static ClientArgs parse(List<String> args) throws RsyncException {
        if (args.isEmpty() || !args.get(0).equals("--server")) {
            throw new RsyncException(ExitCode.PROTOCOL, "the client's arguments do not start with --server");
        }
        Builder b = new Builder();
        boolean inPaths = false;
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if (inPaths) {
                b.paths.add(a);
            } else if (a.equals(".")) {
                inPaths = true;
            } else if (SPLIT_VALUE.contains(a) && i + 1 < args.size()) {
                b.longOption(a + "=" + args.get(++i)); // popt takes the next argument, whatever it looks like
            } else if (a.startsWith("--")) {
                b.longOption(a);
            } else if (a.startsWith("-")) {
                b.letters(a);
            } else if (b.refusal == null) {
                // the value of an option taking a separate argument; known ones never do, so one was refused
                b.refuse("rsync: on remote machine: unexpected argument before \".\": " + a);
            }
        }
        return b.build();
    }

    /**
     * options.c server_options: these settings as a client's arguments, in rsync's client's order and words;
     * {@link #parse} of them gives the same settings back (the one codec both ends use: our client writes with it,
     * our daemon and our pulling client's own receiver parse with it).
     */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>();
        args.add("--server");
        if (sender) {
            args.add("--sender");
        }
        StringBuilder b = new StringBuilder("-");
        b.append("v".repeat(verbose));
        append(b, backup, 'b');
        append(b, dryRun, 'n');
        append(b, checksum, 'c');
        append(b, links, 'l');
        append(b, hardLinks, 'H');
        append(b, owner, 'o');
        append(b, group, 'g');
        append(b, devices && specials, 'D');
        append(b, times, 't');
        append(b, perms, 'p');
        append(b, recursive, 'r');
        append(b, ignoreTimes, 'I');
        b.append("y".repeat(fuzzy));
        append(b, compress && (compressChoice == null || compressChoice.equals("zlib")), 'z');
        args.add(b.append("e.").append(capabilities).toString());
        if (devices && !specials) {
            args.add("--devices");
        }
        if (specials && !devices) {
            args.add("--specials");
        }
        if (delete) {
            args.add("--delete");
        }
        for (String dir : altDirs) {
            args.add("--" + altDest); // the option, then the directory, unescaped: a daemon before rsync 3.5
            args.add(dir);            // keeps an escaping backslash as part of the path ("old\ dir")
        }
        if (numericIds) {
            args.add("--numeric-ids");
        }
        if (compress && compressLevel != Compression.LEVEL_NOT_SPECIFIED) {
            args.add("--compress-level=" + compressLevel);
        }
        if (checksumChoice != null) {
            args.add("--checksum-choice=" + safeArg(checksumChoice));
        }
        if (compress && "zlibx".equals(compressChoice)) {
            args.add("--new-compress");
        } else if (compress && "zlib".equals(compressChoice)) {
            args.add("--old-compress");
        } else if (compress && compressChoice != null) {
            args.add("--compress-choice=" + compressChoice);
        }
        if (timeout > 0) {
            args.add("--timeout=" + timeout);
        }
        if (bwlimit > 0) {
            args.add("--bwlimit=" + bwlimit);
        }
        if (backupDir != null) {
            args.add("--backup-dir"); // two arguments, as server_options sends it
            args.add(safeArg(backupDir));
        }
        if (suffix != null) {
            args.add("--suffix=" + safeArg(suffix));
        }
        args.add(".");
        args.addAll(paths);
        return args;
    }

    private static void append(StringBuilder b, boolean on, char letter) {
        if (on) {
            b.append(letter);
        }
    }

    /**
     * options.c safe_arg for an option's value: shell and wildcard characters are escaped with a backslash (a
     * remote shell removes them; rsync 3.5's daemon does too, older daemons keep them as they are).
     */
    public static String safeArg(String value) {
        String escaped = "*?[]!#$&;|<>(){}\"'` \t\n\r\\";
        StringBuilder b = new StringBuilder(value.length() + 8);
        for (char c : value.toCharArray()) {
            if (escaped.indexOf(c) >= 0) {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    /**
     * Settings being parsed from a client's arguments, or set by our client for {@link #toArgs}: the fields
     * are those of the record.
     */
    public static final class Builder {
        public boolean sender, recursive, links, hardLinks, perms, times, owner, group, devices, specials, checksum;
        public boolean dryRun, compress, delete, numericIds, ignoreTimes, sizeOnly, update, existing,
                ignoreExisting;
        public boolean fsync, backup;
        /** Unescaped, as the daemon uses it. */
        public String backupDir;
        /** Unescaped; null for rsync's default. */
        public String suffix;
        public String altDest;
        public final List<String> altDirs = new ArrayList<>();
        public int fuzzy;
        public int timeout;
        public int bwlimit;
        public int verbose;
        public String compressChoice;
        public int compressLevel = Compression.LEVEL_NOT_SPECIFIED;
        public String checksumChoice;
        /** The capability letters after "e.". */
        public String caps = "";
        final Set<String> used = new LinkedHashSet<>();
        public final List<String> paths = new ArrayList<>();
        String refusal;

        /** Every refusal is kept, so the client learns about each option the daemon cannot honour. */
        void refuse(String message) {
            refusal = refusal == null ? message : refusal + "\n" + message;
        }

        void longOption(String a) {
            String name = a.contains("=") ? a.substring(2, a.indexOf('=')) : a.substring(2);
            String value = a.contains("=") ? a.substring(a.indexOf('=') + 1) : null;
            used.add(name);
            switch (name) {
                case "sender" -> sender = true;
                case "delete", "delete-during", "delete-delay", "delete-after", "delete-before", "del",
                        "delete-excluded" -> delete = true;
                case "numeric-ids" -> numericIds = true;
                case "timeout" -> timeout = number(a, value);
                case "bwlimit" -> bwlimit = number(a, value); // KiB/s, as server_options sends it
                case "devices" -> devices = true;
                case "specials" -> specials = true;
                case "size-only" -> sizeOnly = true;
                case "ignore-times" -> ignoreTimes = true;
                case "existing", "ignore-non-existing" -> existing = true;
                case "ignore-existing" -> ignoreExisting = true;
                case "fsync" -> fsync = true;
                case "backup" -> backup = true;
                case "backup-dir", "suffix" -> {
                    if (value == null) {
                        refuse("rsync: on remote machine: --" + name + ": missing argument");
                    } else if (name.equals("suffix")) {
                        suffix = unbackslash(value);
                    } else {
                        backup = true; // options.c: --backup-dir implies --backup
                        backupDir = unbackslash(value);
                    }
                }
                case "link-dest", "copy-dest", "compare-dest" -> altDest(name, value);
                case "fuzzy" -> fuzzy++;
                case "no-fuzzy", "no-y" -> fuzzy = 0;
                case "new-compress" -> compressChoice = "zlibx";
                case "old-compress" -> compressChoice = "zlib";
                case "compress-choice", "zc" -> compressChoice = value;
                case "compress-level", "zl" -> compressLevel = signedNumber(a, value);
                case "checksum-choice", "cc" -> checksumChoice = value;
                case "no-implied-dirs", "force", "partial", "omit-dir-times", "checksum-seed",
                        "modify-window", "max-delete", "log-format", "out-format", "mkpath", "no-whole-file",
                        "whole-file", "safe-links", "skip-compress", "ignore-errors", "no-W", "munge-links",
                        "delay-updates", "min-size", "max-size", "stats", "progress", "info", "debug", "inplace",
                        "append", "append-verify", "copy-unsafe-links", "max-alloc" -> {
                    if (name.startsWith("append") || name.equals("inplace")) {
                        refuse("rsync: on remote machine: --" + name + ": not supported by this daemon "
                                + "(it always writes a new file and renames it into place)");
                    }
                }
                default -> refuse("rsync: on remote machine: --" + name + ": unknown option");
            }
        }

        void letters(String a) {
            for (int j = 1; j < a.length(); j++) {
                char c = a.charAt(j);
                if (c == 'e') {
                    caps = a.substring(j + 1); // the rest of the bundle is the client's capabilities
                    return;
                }
                String name = LETTERS.get(c);
                if (name == null) {
                    refuse("rsync: on remote machine: -" + c + ": unknown option");
                    continue;
                }
                used.add(name);
                if (UNSUPPORTED_LETTERS.indexOf(c) >= 0) {
                    refuse("rsync: on remote machine: --" + name + " (-" + c + ") is not supported by this daemon");
                }
                switch (c) {
                    case 'r' -> recursive = true;
                    case 'l' -> links = true;
                    case 'H' -> hardLinks = true;
                    case 'p' -> perms = true;
                    case 't' -> times = true;
                    case 'o' -> owner = true;
                    case 'g' -> group = true;
                    case 'D' -> devices = specials = true;
                    case 'c' -> checksum = true;
                    case 'n' -> dryRun = true;
                    case 'z' -> compress = true;
                    case 'I' -> ignoreTimes = true;
                    case 'u' -> update = true;
                    case 'b' -> backup = true;
                    case 'y' -> fuzzy++;
                    case 'v' -> verbose++;
                    default -> {
                        // verbosity, one-file-system and the like: no effect on the receiving side here
                    }
                }
            }
        }

        /** options.c set_dest_dir: one kind of basis dir per transfer, at most MAX_BASIS_DIRS of them. */
        void altDest(String name, String value) {
            if (value == null) {
                refuse("rsync: on remote machine: --" + name + ": missing argument");
            } else if (altDest != null && !altDest.equals(name)) {
                refuse("rsync: ERROR: the --" + name + " option conflicts with the --" + altDest + " option");
            } else if (altDirs.size() >= MAX_BASIS_DIRS) {
                refuse("rsync: ERROR: at most " + MAX_BASIS_DIRS + " --" + name + " args may be specified");
            } else {
                altDest = name;
                altDirs.add(unbackslash(value));
            }
        }

        /**
         * rsync 3.5's read_args (unbackslash_arg): a client escapes shell and wildcard characters of an option's
         * value with backslashes (options.c safe_arg) for the remote shell a daemon does not have. Applied to the
         * values this daemon uses as names (--backup-dir, --suffix, the basis dirs).
         */
        static String unbackslash(String value) {
            if (value == null || value.indexOf('\\') < 0) {
                return value;
            }
            StringBuilder b = new StringBuilder(value.length());
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\\' && i + 1 < value.length()) {
                    c = value.charAt(++i);
                }
                b.append(c);
            }
            return b.toString();
        }

        /** A value that may be negative (zstd's fast levels). */
        int signedNumber(String arg, String value) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException | NullPointerException e) {
                refuse("rsync: on remote machine: invalid option value in " + arg);
                return 0;
            }
        }

        int number(String arg, String value) {
            try {
                int v = Integer.parseInt(value);
                if (v >= 0) {
                    return v;
                }
            } catch (NumberFormatException | NullPointerException e) {
                // refused below
            }
            refuse("rsync: on remote machine: invalid option value in " + arg);
            return 0;
        }

        public ClientArgs build() {
            if (!caps.isEmpty() && caps.charAt(0) == '.') {
                caps = caps.substring(1); // "e." + capabilities: the '.' stands for the version in old clients
            }
            if (compressChoice != null) {
                compress = !compressChoice.equals("none");
                if (Compression.byName(compressChoice).isEmpty()) {
                    refuse("rsync: on remote machine: unknown compress name: " + compressChoice
                            + " (this daemon has " + Compression.offeredList() + ")");
                }
            }
            return new ClientArgs(sender, recursive, links, hardLinks, perms, times, owner, group, devices,
                    specials, checksum, dryRun, compress, delete, numericIds, ignoreTimes, sizeOnly, update,
                    existing, ignoreExisting, fsync, backup, backupDir, suffix, altDest, List.copyOf(altDirs), fuzzy,
                    timeout, bwlimit, compressChoice, compressLevel, checksumChoice, caps, Set.copyOf(used),
                    List.copyOf(paths), verbose, refusal);
        }
    }
}
