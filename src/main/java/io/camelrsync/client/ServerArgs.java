package io.camelrsync.client;

import io.camelrsync.protocol.Compression;
import java.util.ArrayList;
import java.util.List;

/**
 * What our client asks a daemon to do, as rsync's own client words it (options.c server_options): written once
 * for pushes and pulls; the daemon (ClientArgs) and our pulling client's own receiver parse the same list.
 */
final class ServerArgs {
    private ServerArgs() {
    }

    /**
     * The arguments after the daemon's OK: options.c server_options for our options, the role, then "." and the
     * module path. {@code sender} asks the daemon to send (a pull); {@code everyNamedFile} adds -I (a change
     * set: every named file transferred whatever its size and mtime say).
     */
    static List<String> of(PushOptions options, boolean sender, boolean everyNamedFile, String moduleArg) {
        List<String> args = new ArrayList<>();
        args.add("--server");
        if (sender) {
            args.add("--sender");
        }
        StringBuilder b = new StringBuilder("-");
        if (options.verbose > 0) {
            b.append('v');
        }
        if (options.makesBackups()) {
            b.append('b');
        }
        if (options.dryRun) {
            b.append('n');
        }
        if (options.checksum) {
            b.append('c');
        }
        if (options.links) {
            b.append('l');
        }
        if (options.hardLinks) {
            b.append('H');
        }
        if (options.owner) {
            b.append('o');
        }
        if (options.group) {
            b.append('g');
        }
        if (options.devices && options.specials) {
            b.append('D');
        }
        if (options.times) {
            b.append('t');
        }
        if (options.perms) {
            b.append('p');
        }
        if (options.recursive) {
            b.append('r');
        }
        if (everyNamedFile) {
            b.append('I');
        }
        if (options.fuzzy) {
            b.append('y');
        }
        Compression forced = forcedCompression(options);
        if (options.compress && (forced == null || forced == Compression.ZLIB)) {
            b.append('z'); // -z alone: negotiated from protocol 32 on, zlib before
        }
        // Capabilities as the rsync release of each protocol sent them; never 'i' (no incremental recursion).
        b.append("e.").append(switch (options.protocol) {
            case 30 -> "L";
            case 31 -> "LfxC";
            default -> "LfxCIvu";
        });
        args.add(b.toString());
        if (options.devices && !options.specials) {
            args.add("--devices");
        }
        if (options.specials && !options.devices) {
            args.add("--specials");
        }
        if (options.delete) {
            args.add("--delete");
        }
        if (options.linkDest != null) {
            args.add("--link-dest"); // options.c server_options: the option, then the directory
            args.add(options.linkDest);
        }
        if (options.numericIds) {
            args.add("--numeric-ids");
        }
        if (options.compress && options.compressLevel != Compression.LEVEL_NOT_SPECIFIED) {
            args.add("--compress-level=" + options.compressLevel);
        }
        if (forced == Compression.ZLIBX) {
            args.add("--new-compress");
        } else if (forced == Compression.ZLIB) {
            args.add("--old-compress");
        } else if (forced != null) {
            args.add("--compress-choice=" + forced.wireName());
        }
        if (options.timeoutSeconds > 0) {
            args.add("--timeout=" + options.timeoutSeconds);
        }
        if (options.bwlimit > 0) {
            args.add("--bwlimit=" + options.bwlimit);
        }
        String backupDir = options.backupDirSent();
        if (backupDir != null) {
            args.add("--backup-dir"); // two arguments, as server_options sends it
            args.add(safeArg(backupDir));
        }
        if (!options.effectiveSuffix().equals(backupDir != null ? "" : "~")) { // only a suffix that is not the default
            args.add("--suffix=" + safeArg(options.effectiveSuffix()));
        }
        args.add(".");
        args.add(moduleArg);
        return args;
    }

    /** The compressor the user chose (--compress-choice), which is sent rather than negotiated; null: none chosen. */
    static Compression forcedCompression(PushOptions options) {
        if (!options.compress || options.compressChoice == null || options.compressChoice.equalsIgnoreCase("auto")) {
            return null;
        }
        return Compression.byName(options.compressChoice).orElseThrow(() -> new IllegalArgumentException(
                "unknown compress name: " + options.compressChoice + " (choose from " + Compression.offeredList()
                        + ", none)"));
    }

    /**
     * options.c safe_arg for an option's value: shell and wildcard characters are escaped with a backslash (a
     * remote shell removes them; rsync 3.5's daemon does too, older daemons keep them as they are).
     */
    static String safeArg(String value) {
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
}
